/** Debian's package (`apt-get install chromium`); CHROMIUM_PATH points elsewhere on other systems. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * On top of Playwright's own (headless, --no-sandbox when root, --no-first-run,
 * --disable-background-networking, --disable-component-update, --disable-sync, a fresh
 * profile): no GPU in containers, and no QUIC so every request is plain HTTP a test can see.
 */
export const CHROMIUM_ARGS = ['--disable-gpu', '--disable-quic', '--disable-dev-shm-usage'];
