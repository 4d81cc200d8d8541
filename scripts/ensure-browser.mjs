// Before the browser tests: make sure a Chromium exists. The system one is used where there is
// one (browser downloads are impossible on some networks); else Debian's package when we may
// install it; else Playwright's own download.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

// Plain Node (it runs before anything is built), so not scripts/cli.ts: the same answers, by hand.
const [arg] = process.argv.slice(2);
if (arg === '--help' || arg === '-h') {
  console.log('Usage: node scripts/ensure-browser.mjs\n\nBefore the browser tests: makes sure a Chromium exists (the system one, else Debian\'s package\nwhen run as root, else Playwright\'s download). Takes no flags.');
  process.exit(0);
}
if (arg !== undefined) {
  console.error(`scripts/ensure-browser.mjs: takes no arguments, got ${JSON.stringify(arg)} (see --help)`);
  process.exit(2);
}

const system = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].some((p) => existsSync(p));
const bundled = existsSync(chromium.executablePath());
const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });

if (!system && !bundled) {
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log('No Chromium found: installing Debian\'s chromium package.');
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', 'chromium']);
  } else {
    console.log('No Chromium found: downloading Playwright\'s.');
    run(process.execPath, ['node_modules/@playwright/test/cli.js', 'install', 'chromium']);
  }
}
