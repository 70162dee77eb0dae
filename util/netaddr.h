/* netaddr: CIDR lists, the client address behind trusted proxies (AAM_TRUSTED_PROXIES), and
 * which addresses the process may connect out to (AAM_OUTBOUND_NETS: CIDRs and `public`).
 * Pure functions over text and socket addresses, no sockets or name lookups, so the rules are
 * unit-tested as tables. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, what a dual-stack socket
 * reports for an IPv4 peer) are treated as the IPv4 address they carry, in lists and lookups. */
#ifndef AAM_NETADDR_H
#define AAM_NETADDR_H

#include <stddef.h>

struct sockaddr;
struct sockaddr_storage;

/* Big enough for any textual address inet_ntop writes (INET6_ADDRSTRLEN). */
#define NETADDR_TEXT_MAX 46

struct netaddr_cidr {
    int family;             /* AF_INET or AF_INET6 */
    unsigned char addr[16]; /* network byte order; 4 bytes used for AF_INET */
    int prefix;             /* 0-32 or 0-128 */
};

/* Parses a comma-separated list of CIDRs ("10.0.0.0/8, 192.168.1.7, ::1/128"; a bare address
 * is a /32 or /128; blanks around items are ignored; an empty list is valid). Returns 0 with
 * a malloc'd array in *out (NULL when empty; the caller frees it) and its length in *n, or -1
 * with one line naming the bad item in err. Host bits set below the prefix are refused
 * ("10.0.0.1/8" is a typo more often than an intent). */
int netaddr_parse_list(const char *text, struct netaddr_cidr **out, size_t *n, char *err,
                       size_t errlen) __attribute__((warn_unused_result));

/* 1 when the textual address ip is inside one of the n CIDRs, else 0 (also for junk). */
int netaddr_in_list(const struct netaddr_cidr *list, size_t n, const char *ip);

/* The client address for a request from peer (textual) carrying X-Forwarded-For xff (NULL
 * when absent): the peer itself unless it is in the list; else the first hop of xff, read
 * from the right, that is not in the list (each trusted proxy appends the address it saw, so
 * entries left of the first untrusted one are the client's to invent). When every hop is
 * trusted, the leftmost; an unreadable hop stops the walk at the last trusted address seen.
 * Writes the canonical text (IPv4-mapped as IPv4) into out[size]. Never fails: out is at
 * worst the peer as given. */
void netaddr_client(const struct netaddr_cidr *list, size_t n, const char *peer, const char *xff,
                    char *out, size_t size);

/* ------------------------------------------------------------ outbound (AAM_OUTBOUND_NETS) */

/* 1 when sa (AF_INET or AF_INET6; anything else is 0) is a global unicast address, the
 * meaning of `public`. Not public: unspecified, loopback, private (10/8, 172.16/12,
 * 192.168/16), CGNAT 100.64/10, link-local (169.254/16 with the cloud metadata address,
 * fe80::/10), ULA fc00::/7, site-local fec0::/10, multicast, and the reserved, documentation
 * and benchmark ranges (0/8, 192.0.0/24, 192.0.2/24, 192.88.99/24, 198.18/15, 198.51.100/24,
 * 203.0.113/24, 240/4 with the broadcast address; IPv6 outside 2000::/3, 2001::/23 (Teredo,
 * ORCHID, benchmarking), 2001:db8::/32, 3fff::/20, 5f00::/16). Addresses that carry an IPv4
 * address are judged by it: IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96 and 6to4 2002::/16;
 * the deprecated IPv4-compatible ::/96 is never public. */
int netaddr_is_public(const struct sockaddr *sa);

/* Reads host as an IP literal, the way the resolver and libcurl would: IPv6 with or without
 * brackets (no zone id), and every IPv4 spelling inet_aton accepts ("127.0.0.1", "127.1",
 * "2130706433", "0x7f.1", "017700000001"), so a name that is such a spelling is judged as the
 * address it denotes. Returns 0 with the address in *out (port 0), or -1 when host is not a
 * literal (a name to resolve, or junk such as embedded blanks). */
int netaddr_parse_host(const char *host, struct sockaddr_storage *out)
    __attribute__((warn_unused_result));

/* The canonical text of sa (IPv4-mapped written as IPv4; no port) into out[size]; "?" for an
 * address family other than AF_INET and AF_INET6. */
void netaddr_format(const struct sockaddr *sa, char *out, size_t size);

/* An allow-list of destinations: CIDRs and the word `public` (see netaddr_is_public). */
struct netaddr_set;

/* Parses a comma-separated list of CIDRs (as netaddr_parse_list) and the word `public` (any
 * case). An empty list allows nothing. Returns a set the caller frees with netaddr_set_free,
 * or NULL with one line naming the bad item in err. */
struct netaddr_set *netaddr_set_parse(const char *text, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* 1 when sa is in one of the set's CIDRs, or is public and the set holds `public`; else 0
 * (also for a NULL set and for families other than AF_INET and AF_INET6). */
int netaddr_set_allows(const struct netaddr_set *set, const struct sockaddr *sa);

/* NULL-safe. */
void netaddr_set_free(struct netaddr_set *set);

#endif
