// Before the browser tests: make sure a Chromium exists. The system one is used where there is
// one (browser downloads are impossible on some networks); else Debian's package when we may
// install it; else Playwright's own download.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

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
