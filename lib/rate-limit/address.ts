/**
 * The client's address, as the proxy in front of the app reports it in TRUSTED_PROXY_HEADER, and
 * never from a header the client sets: `next start` passes a client-sent X-Forwarded-For through
 * (it fills the header from the socket only when it is absent), so without that setting the
 * address is unknown.
 */
import { isIP } from 'node:net';

/**
 * The address the limits key on, or undefined when unknown. The right-most entry of the header:
 * for x-forwarded-for that is the one the trusted proxy appended (entries to its left came from
 * the client); single-valued headers have only that one. An IPv6 address counts as its /64
 * network, which one subscriber usually holds whole: rotating inside it gains nothing.
 */
export function clientAddress(headers: Headers, trustedHeader: string | undefined): string | undefined {
  if (!trustedHeader) return undefined;
  const entry = headers.get(trustedHeader)?.split(',').at(-1)?.trim();
  if (!entry) return undefined;
  // Some proxies add the client's port: 203.0.113.9:51234, [2001:db8::1]:443.
  const address = /^\[(.+)\](?::\d+)?$/.exec(entry)?.[1] ?? /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(entry)?.[1] ?? entry;
  switch (isIP(address)) {
    case 4:
      return address;
    case 6:
      return ipv6Network(address.toLowerCase());
    default:
      return undefined;
  }
}

/** A valid IPv6 address as its /64 network, e.g. 2001:db8:0:1::/64; an IPv4-mapped one as the IPv4 address. */
function ipv6Network(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (mapped) return mapped[1]!;
  const [head = '', tail] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  // A trailing dotted IPv4 part fills two groups; it never reaches the first four.
  const filled = [...headGroups, ...tailGroups].reduce((n, group) => n + (group.includes('.') ? 2 : 1), 0);
  const groups = [...headGroups, ...Array<string>(Math.max(0, 8 - filled)).fill('0'), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}
