/* netaddr: CIDR parsing and the X-Forwarded-For walk. Addresses are parsed with inet_pton
 * only (no name lookups, no zone ids, no ports): anything else in a header is unreadable. */
#include "util/netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/xalloc.h"

/* Parses one address (IPv4 or IPv6, IPv4-mapped folded to IPv4) from s[0..len). */
static int parse_addr(const char *s, size_t len, int *family, unsigned char addr[16])
{
    char buf[NETADDR_TEXT_MAX];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET, buf, addr) == 1) {
        *family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, buf, addr) != 1)
        return -1;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(addr, mapped, sizeof mapped) == 0) {
        memmove(addr, addr + 12, 4);
        *family = AF_INET;
        return 0;
    }
    *family = AF_INET6;
    return 0;
}

static int host_bits_clear(const struct netaddr_cidr *c)
{
    int bits = c->family == AF_INET ? 32 : 128;
    for (int i = c->prefix; i < bits; i++) {
        if (c->addr[i / 8] & (0x80 >> (i % 8)))
            return 0;
    }
    return 1;
}

/* Parses "addr" or "addr/prefix" from s[0..len). */
static int parse_cidr(const char *s, size_t len, struct netaddr_cidr *c)
{
    const char *slash = memchr(s, '/', len);
    size_t alen = slash ? (size_t)(slash - s) : len;
    memset(c, 0, sizeof *c);
    if (parse_addr(s, alen, &c->family, c->addr) != 0)
        return -1;
    int bits = c->family == AF_INET ? 32 : 128;
    c->prefix = bits;
    if (slash != NULL) {
        size_t plen = len - alen - 1;
        if (plen == 0 || plen > 3)
            return -1;
        int p = 0;
        for (size_t i = 0; i < plen; i++) {
            char d = slash[1 + i];
            if (d < '0' || d > '9')
                return -1;
            p = p * 10 + (d - '0');
        }
        /* "::ffff:10.0.0.0/104" names 10.0.0.0/8 once folded to IPv4 */
        if (c->family == AF_INET && memchr(s, ':', alen) != NULL)
            p -= 96;
        if (p < 0 || p > bits)
            return -1;
        c->prefix = p;
    }
    return host_bits_clear(c) ? 0 : -1;
}

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* Trims blanks around s[0..*len). */
static const char *trim(const char *s, size_t *len)
{
    while (*len > 0 && is_blank(s[0]))
        s++, (*len)--;
    while (*len > 0 && is_blank(s[*len - 1]))
        (*len)--;
    return s;
}

int netaddr_parse_list(const char *text, struct netaddr_cidr **out, size_t *n, char *err,
                       size_t errlen)
{
    size_t cap = 1;
    *out = NULL;
    *n = 0;
    for (const char *s = text; *s; s++)
        cap += (*s == ',');
    struct netaddr_cidr *list = xcalloc(cap, sizeof *list);
    size_t count = 0;
    for (const char *p = text;;) {
        size_t len = strcspn(p, ",");
        size_t tlen = len;
        const char *item = trim(p, &tlen);
        if (tlen > 0 && parse_cidr(item, tlen, &list[count]) != 0) {
            snprintf(err, errlen, "\"%.*s\" is not an address or CIDR (like 10.0.0.0/8 or ::1)",
                     (int)(tlen > 60 ? 60 : tlen), item);
            free(list);
            return -1;
        }
        count += tlen > 0;
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    if (count == 0) {
        free(list);
        return 0;
    }
    *out = list;
    *n = count;
    return 0;
}

static int cidr_contains(const struct netaddr_cidr *c, int family, const unsigned char *addr)
{
    if (c->family != family)
        return 0;
    int full = c->prefix / 8, rest = c->prefix % 8;
    if (memcmp(c->addr, addr, (size_t)full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (c->addr[full] & mask) == (addr[full] & mask);
}

static int list_contains(const struct netaddr_cidr *list, size_t n, int family,
                         const unsigned char *addr)
{
    for (size_t i = 0; i < n; i++) {
        if (cidr_contains(&list[i], family, addr))
            return 1;
    }
    return 0;
}

int netaddr_in_list(const struct netaddr_cidr *list, size_t n, const char *ip)
{
    int family;
    unsigned char addr[16];
    if (ip == NULL || parse_addr(ip, strlen(ip), &family, addr) != 0)
        return 0;
    return list_contains(list, n, family, addr);
}

static void write_addr(int family, const unsigned char *addr, char *out, size_t size)
{
    char text[NETADDR_TEXT_MAX];
    if (inet_ntop(family, addr, text, sizeof text) == NULL)
        text[0] = '\0';
    snprintf(out, size, "%s", text);
}

void netaddr_client(const struct netaddr_cidr *list, size_t n, const char *peer, const char *xff,
                    char *out, size_t size)
{
    int family;
    unsigned char addr[16];
    if (peer == NULL || parse_addr(peer, strlen(peer), &family, addr) != 0) {
        snprintf(out, size, "%s", peer ? peer : "unknown");
        return;
    }
    if (list_contains(list, n, family, addr) && xff != NULL) {
        /* Walk the hops from the right; (family, addr) is always the nearest address known
         * to be real: the peer, then each trusted hop. */
        size_t end = strlen(xff);
        for (;;) {
            size_t start = end;
            while (start > 0 && xff[start - 1] != ',')
                start--;
            size_t len = end - start;
            const char *hop = trim(xff + start, &len);
            int hf;
            unsigned char ha[16];
            if (len > 0) {
                if (parse_addr(hop, len, &hf, ha) != 0)
                    break; /* unreadable: stop at the last trusted address */
                family = hf;
                memcpy(addr, ha, sizeof addr);
                if (!list_contains(list, n, hf, ha))
                    break; /* the first untrusted hop: the client */
            }
            if (start == 0)
                break; /* every hop trusted: the leftmost one */
            end = start - 1;
        }
    }
    write_addr(family, addr, out, size);
}
