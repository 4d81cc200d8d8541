import { fakeVendorControl } from '../fakes/control';

/** The fake vendor server the app under test talks to (started by playwright.config.ts). */
export const fakeVendor = fakeVendorControl(process.env.FAKE_VENDOR_URL ?? 'http://127.0.0.1:3101');
