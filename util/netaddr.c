/* netaddr: CIDR parsing and the X-Forwarded-For walk. Addresses are parsed with inet_pton
 * only (no name lookups, no zone ids, no ports): anything else in a header is unreadable. */
#include "util/netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
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

/* Parses the comma-separated items of text into a malloc'd array (*out, NULL when empty).
 * With public_ok, the word `public` is taken (any case) and sets *has_public. */
static int parse_items(const char *text, int public_ok, struct netaddr_cidr **out, size_t *n,
                       int *has_public, char *err, size_t errlen)
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
        if (public_ok && tlen == 6 && strncasecmp(item, "public", 6) == 0) {
            *has_public = 1;
        } else if (tlen > 0 && parse_cidr(item, tlen, &list[count]) != 0) {
            snprintf(err, errlen, "\"%.*s\" is not an address or CIDR (like 10.0.0.0/8 or ::1)%s",
                     (int)(tlen > 60 ? 60 : tlen), item, public_ok ? " or public" : "");
            free(list);
            return -1;
        } else {
            count += tlen > 0;
        }
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

int netaddr_parse_list(const char *text, struct netaddr_cidr **out, size_t *n, char *err,
                       size_t errlen)
{
    return parse_items(text, 0, out, n, NULL, err, errlen);
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

/* ------------------------------------------------------------ outbound (AAM_OUTBOUND_NETS) */

struct netaddr_set {
    int public_ok;
    struct netaddr_cidr *cidrs;
    size_t n;
};

/* The family and bytes of sa, IPv4-mapped folded to IPv4; -1 for other families. */
static int addr_of(const struct sockaddr *sa, int *family, unsigned char addr[16])
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (sa == NULL)
        return -1;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        memcpy(addr, &in->sin_addr, 4);
        *family = AF_INET;
        return 0;
    }
    if (sa->sa_family != AF_INET6)
        return -1;
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
    memcpy(addr, &in6->sin6_addr, 16);
    *family = AF_INET6;
    if (memcmp(addr, mapped, sizeof mapped) == 0) {
        memmove(addr, addr + 12, 4);
        *family = AF_INET;
    }
    return 0;
}

/* 1 when the first bits of a equal those of prefix. */
static int has_prefix(const unsigned char *a, const unsigned char *prefix, int bits)
{
    struct netaddr_cidr c = {.prefix = bits};
    memcpy(c.addr, prefix, (size_t)(bits + 7) / 8);
    c.family = AF_INET6; /* cidr_contains only compares families */
    return cidr_contains(&c, AF_INET6, a);
}

struct special {
    unsigned char addr[16];
    int prefix;
};

/* IANA's IPv4 special-purpose registry (RFC 6890 and successors), every entry that is not
 * global unicast, plus multicast. 192.0.0.9 and 192.0.0.10 are globally reachable anycast but
 * no webhook or database lives there: the whole /24 stays out. */
static const struct special v4_special[] = {
    {{0, 0, 0, 0}, 8},       /* "this network"; 0.0.0.0 reaches the local host on Linux */
    {{10, 0, 0, 0}, 8},      /* private */
    {{100, 64, 0, 0}, 10},   /* CGNAT shared address space */
    {{127, 0, 0, 0}, 8},     /* loopback */
    {{169, 254, 0, 0}, 16},  /* link-local, with the cloud metadata service 169.254.169.254 */
    {{172, 16, 0, 0}, 12},   /* private */
    {{192, 0, 0, 0}, 24},    /* IETF protocol assignments */
    {{192, 0, 2, 0}, 24},    /* TEST-NET-1 */
    {{192, 88, 99, 0}, 24},  /* 6to4 relay anycast (deprecated) */
    {{192, 168, 0, 0}, 16},  /* private */
    {{198, 18, 0, 0}, 15},   /* benchmarking */
    {{198, 51, 100, 0}, 24}, /* TEST-NET-2 */
    {{203, 0, 113, 0}, 24},  /* TEST-NET-3 */
    {{224, 0, 0, 0}, 4},     /* multicast */
    {{240, 0, 0, 0}, 4},     /* reserved, with 255.255.255.255 */
};

/* Inside global unicast 2000::/3, the ranges that are not globally reachable. */
static const struct special v6_special[] = {
    {{0x20, 0x01, 0x00, 0x00}, 23}, /* IETF protocol assignments: Teredo, benchmarking, ORCHID */
    {{0x20, 0x01, 0x0d, 0xb8}, 32}, /* documentation */
    {{0x3f, 0xff, 0x00, 0x00}, 20}, /* documentation (RFC 9637) */
    {{0x5f, 0x00, 0x00, 0x00}, 16}, /* SRv6 SIDs (RFC 9602) */
};

static int v4_public(const unsigned char a[4])
{
    for (size_t i = 0; i < sizeof v4_special / sizeof v4_special[0]; i++) {
        struct netaddr_cidr c = {.family = AF_INET, .prefix = v4_special[i].prefix};
        memcpy(c.addr, v4_special[i].addr, 4);
        if (cidr_contains(&c, AF_INET, a))
            return 0;
    }
    return 1;
}

static int v6_public(const unsigned char a[16])
{
    static const unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b};
    static const unsigned char six_to_four[2] = {0x20, 0x02};
    static const unsigned char global[1] = {0x20};
    if (has_prefix(a, nat64, 96))
        return v4_public(a + 12); /* the gateway connects to the IPv4 address it carries */
    if (has_prefix(a, six_to_four, 16))
        return v4_public(a + 2);
    if (!has_prefix(a, global, 3))
        return 0; /* ::/96 IPv4-compatible, ::1, ULA, link- and site-local, multicast, ... */
    for (size_t i = 0; i < sizeof v6_special / sizeof v6_special[0]; i++) {
        if (has_prefix(a, v6_special[i].addr, v6_special[i].prefix))
            return 0;
    }
    return 1;
}

int netaddr_is_public(const struct sockaddr *sa)
{
    int family;
    unsigned char addr[16];
    if (addr_of(sa, &family, addr) != 0)
        return 0;
    return family == AF_INET ? v4_public(addr) : v6_public(addr);
}

int netaddr_parse_host(const char *host, struct sockaddr_storage *out)
{
    char buf[NETADDR_TEXT_MAX];
    size_t len = host ? strlen(host) : 0;
    memset(out, 0, sizeof *out);
    if (len == 0 || len >= sizeof buf || strpbrk(host, " \t\r\n\v\f%") != NULL)
        return -1; /* inet_aton stops at a blank and takes what came before it */
    if (host[0] == '[') {
        if (len < 3 || host[len - 1] != ']')
            return -1;
        memcpy(buf, host + 1, len - 2);
        buf[len - 2] = '\0';
    } else {
        memcpy(buf, host, len + 1);
    }
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)out;
    if (inet_pton(AF_INET6, buf, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        return 0;
    }
    struct sockaddr_in *in = (struct sockaddr_in *)(void *)out;
    if (host[0] != '[' && inet_aton(buf, &in->sin_addr) != 0) {
        in->sin_family = AF_INET;
        return 0;
    }
    memset(out, 0, sizeof *out);
    return -1;
}

void netaddr_format(const struct sockaddr *sa, char *out, size_t size)
{
    int family;
    unsigned char addr[16];
    if (addr_of(sa, &family, addr) != 0) {
        snprintf(out, size, "?");
        return;
    }
    write_addr(family, addr, out, size);
}

struct netaddr_set *netaddr_set_parse(const char *text, char *err, size_t errlen)
{
    struct netaddr_set *set = xcalloc(1, sizeof *set);
    if (parse_items(text, 1, &set->cidrs, &set->n, &set->public_ok, err, errlen) != 0) {
        free(set);
        return NULL;
    }
    return set;
}

int netaddr_set_allows(const struct netaddr_set *set, const struct sockaddr *sa)
{
    int family;
    unsigned char addr[16];
    if (set == NULL || addr_of(sa, &family, addr) != 0)
        return 0;
    if (list_contains(set->cidrs, set->n, family, addr))
        return 1;
    return set->public_ok && (family == AF_INET ? v4_public(addr) : v6_public(addr));
}

void netaddr_set_free(struct netaddr_set *set)
{
    if (set == NULL)
        return;
    free(set->cidrs);
    free(set);
}
