/* netaddr: CIDR lists and the client address behind trusted proxies (AAM_TRUSTED_PROXIES).
 * Pure functions over text, no sockets, so the rules are unit-tested as a table.
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, what a dual-stack socket reports for an IPv4
 * peer) are treated as the IPv4 address they carry, in lists and in lookups. */
#ifndef AAM_NETADDR_H
#define AAM_NETADDR_H

#include <stddef.h>

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

#endif
