/* The bridge's entry point and its only platform code: the profile file and options, standard streams
 * in binary mode, a loopback TCP listener (Winsock), and the line framing of the protocol. Only APIs
 * that Windows XP SP2 has are used (tests/test_bridge_imports.py checks the import table). */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <fcntl.h>
#include <io.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "protocol.h"

#define MAX_LINE (16 * 1024 * 1024)

extern const IID LIBID_MessengerPrivate;  /* from widl -u: the library whose registration the bridge reads */

struct profile bridge_profile;

void diag(const char *format, ...)
{
    va_list args;
    fputs(BRIDGE_NAME ": ", stderr);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    fflush(stderr);
}

static const char usage[] =
    "usage: " BRIDGE_NAME " [--profile FILE] [--tcp [HOST:]PORT] [--KEY VALUE ...]\n"
    "Speaks the msgrspec adapter protocol (version 1) on stdin/stdout, or over TCP with --tcp (the host is\n"
    "127.0.0.1 unless given), and drives the COM server registered for the library's CLSIDs.\n"
    "Profile keys (in FILE as 'key = value' lines, or as --key value options, which win):\n"
    "  implementation  the name the report gives the implementation\n"
    "  product         the Messenger version it follows (default: Messenger 4.5)\n"
    "  features        comma-separated: lock-enforced, registry (peer needs a second party: none here)\n"
    "  lock-id, lock-key  the Lock and Key ID/key pair that unlocks it\n"
    "  signin          the sign-in name of the signed-in user\n"
    "  context         all (default), inproc, local, or a CLSCTX number, for CoCreateInstance\n"
    "  libid           the type library to read from the registry (default: the spec's LIBID)\n"
    "  typelib         read this type library file instead of the registered one\n"
    "  messenger       ProgID or CLSID of the Messenger object whose GetContact gives contacts\n"
    "                  (default: Messenger.UIAutomation.1)\n";

/* -- the profile ---------------------------------------------------------------------------------- */

static int set_key(const char *key, const char *value, char *why, size_t why_size)
{
    static const struct { const char *key; char *field; size_t size; } fields[] = {
        {"implementation", bridge_profile.implementation, sizeof(bridge_profile.implementation)},
        {"product", bridge_profile.product, sizeof(bridge_profile.product)},
        {"features", bridge_profile.features, sizeof(bridge_profile.features)},
        {"lock-id", bridge_profile.lock_id, sizeof(bridge_profile.lock_id)},
        {"lock-key", bridge_profile.lock_key, sizeof(bridge_profile.lock_key)},
        {"signin", bridge_profile.signin, sizeof(bridge_profile.signin)},
        {"libid", bridge_profile.libid, sizeof(bridge_profile.libid)},
        {"typelib", bridge_profile.typelib, sizeof(bridge_profile.typelib)},
        {"messenger", bridge_profile.messenger, sizeof(bridge_profile.messenger)},
    };
    size_t i;
    if (!strcmp(key, "context")) {
        char *end;
        unsigned long n;
        if (!strcmp(value, "all")) bridge_profile.context = CLSCTX_ALL;
        else if (!strcmp(value, "inproc")) bridge_profile.context = CLSCTX_INPROC_SERVER;
        else if (!strcmp(value, "local")) bridge_profile.context = CLSCTX_LOCAL_SERVER;
        else if ((n = strtoul(value, &end, 0)) && !*end) bridge_profile.context = (DWORD)n;
        else { snprintf(why, why_size, "context must be all, inproc, local or a CLSCTX number, not '%s'", value); return 0; }
        return 1;
    }
    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (strcmp(key, fields[i].key)) continue;
        if (strlen(value) >= fields[i].size) { snprintf(why, why_size, "the %s is too long", key); return 0; }
        strcpy(fields[i].field, value);
        return 1;
    }
    snprintf(why, why_size, "unknown key '%s'", key);
    return 0;
}

static char *trim(char *text)
{
    char *end;
    while (*text == ' ' || *text == '\t') text++;
    end = text + strlen(text);
    while (end > text && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n')) *--end = 0;
    return text;
}

/* 'key = value' lines; '#' starts a comment line. 0 (and a located message) on a bad line. */
static int read_profile(const char *path)
{
    FILE *file = fopen(path, "rb");
    char line[1024], why[200];
    int number = 0;
    if (!file) { diag("%s: cannot open the profile", path); return 0; }
    while (fgets(line, sizeof(line), file)) {
        char *text = trim(line), *equals, *key;
        number++;
        if (!*text || *text == '#') continue;
        equals = strchr(text, '=');
        if (!equals) { diag("%s:%d: expected 'key = value', found '%s'", path, number, text); fclose(file); return 0; }
        *equals = 0;
        key = trim(text);
        for (text = key; *text; text++) if (*text == '_') *text = '-';
        if (!set_key(key, trim(equals + 1), why, sizeof(why))) {
            diag("%s:%d: %s", path, number, why);
            fclose(file);
            return 0;
        }
    }
    fclose(file);
    return 1;
}

/* -- transports ------------------------------------------------------------------------------------ */

static int stdio_read(struct channel *c, char *data, int size)
{
    DWORD got = 0;
    if (!ReadFile((HANDLE)c->handle, data, (DWORD)size, &got, NULL)) return GetLastError() == ERROR_BROKEN_PIPE ? 0 : -1;
    return (int)got;
}

static int stdio_write(struct channel *c, const char *data, size_t length)
{
    while (length) {
        DWORD put = 0;
        if (!WriteFile((HANDLE)c->other, data, (DWORD)length, &put, NULL) || !put) return 0;
        data += put;
        length -= put;
    }
    return 1;
}

static int socket_read(struct channel *c, char *data, int size)
{
    int got = recv((SOCKET)(UINT_PTR)c->handle, data, size, 0);
    return got == SOCKET_ERROR ? -1 : got;
}

static int socket_write(struct channel *c, const char *data, size_t length)
{
    while (length) {
        int put = send((SOCKET)(UINT_PTR)c->handle, data, (int)length, 0);
        if (put <= 0) return 0;
        data += put;
        length -= (size_t)put;
    }
    return 1;
}

/* Lines until the client goes or asks to stop; 0 if it asked the program to stop (stdio: shutdown). */
static int converse(struct channel *c)
{
    char *buffer = NULL;
    size_t length = 0, capacity = 0, scanned = 0;
    int greeted = 0, going = 1;
    for (;;) {
        char *end = memchr(buffer + scanned, '\n', length - scanned);
        int got;
        if (end) {
            size_t line = (size_t)(end - buffer) + 1;
            *end = 0;
            going = protocol_line(c, buffer, line - 1, &greeted);
            memmove(buffer, buffer + line, length - line);
            length -= line;
            scanned = 0;
            if (!going) break;
            continue;
        }
        scanned = length;
        if (length > MAX_LINE) { diag("a line longer than %d bytes: the conversation ends", MAX_LINE); break; }
        if (capacity - length < 65536) {
            char *grown = realloc(buffer, capacity + 65536 + capacity / 2);
            if (!grown) { diag("out of memory"); break; }
            buffer = grown;
            capacity += 65536 + capacity / 2;
        }
        got = c->read(c, buffer + length, (int)(capacity - length - 1));
        if (got <= 0) {
            if (length) protocol_line(c, buffer, length, &greeted);  /* a last line without its line feed */
            break;
        }
        length += (size_t)got;
    }
    free(buffer);
    protocol_end_conversation();
    return going;
}

static int serve_tcp(const char *address)
{
    char host[256] = "127.0.0.1";
    const char *colon = strrchr(address, ':');
    const char *port_text = colon ? colon + 1 : address;
    struct sockaddr_in where;
    int size = sizeof(where), yes = 1;
    WSADATA wsa;
    SOCKET listener;
    char *end;
    unsigned long port = strtoul(port_text, &end, 10);
    if (!*port_text || *end || port > 65535) { diag("--tcp wants [HOST:]PORT, not '%s'", address); return 2; }
    if (colon) {
        if ((size_t)(colon - address) >= sizeof(host)) { diag("the host name is too long"); return 2; }
        memcpy(host, address, (size_t)(colon - address));
        host[colon - address] = 0;
    }
    if (WSAStartup(MAKEWORD(2, 2), &wsa)) { diag("Winsock did not start"); return 1; }
    memset(&where, 0, sizeof(where));
    where.sin_family = AF_INET;
    where.sin_port = htons((u_short)port);
    where.sin_addr.s_addr = inet_addr(host);
    if (where.sin_addr.s_addr == INADDR_NONE) {
        struct hostent *found = gethostbyname(host);
        if (!found || found->h_addrtype != AF_INET) { diag("cannot resolve the host %s", host); return 2; }
        memcpy(&where.sin_addr, found->h_addr_list[0], sizeof(where.sin_addr));
    }
    listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (listener == INVALID_SOCKET || bind(listener, (struct sockaddr *)&where, sizeof(where)) ||
        listen(listener, 4) || getsockname(listener, (struct sockaddr *)&where, &size)) {
        diag("cannot listen on %s:%lu (Winsock error %d)", host, port, WSAGetLastError());
        return 1;
    }
    diag("listening on %s:%u", inet_ntoa(where.sin_addr), ntohs(where.sin_port));
    for (;;) {
        struct channel c = {socket_read, socket_write, NULL, NULL};
        SOCKET peer = accept(listener, NULL, NULL);
        if (peer == INVALID_SOCKET) { diag("accept failed (Winsock error %d)", WSAGetLastError()); break; }
        setsockopt(peer, IPPROTO_TCP, TCP_NODELAY, (const char *)&yes, sizeof(yes));
        c.handle = (void *)(UINT_PTR)peer;
        converse(&c);
        closesocket(peer);
    }
    closesocket(listener);
    WSACleanup();
    return 1;
}

int main(int argc, char **argv)
{
    const char *tcp = NULL, *profile_file = NULL;
    OLECHAR libid[40];
    char why[200];
    int i, status;
    HRESULT hr;
    _setmode(_fileno(stdin), _O_BINARY);
    _setmode(_fileno(stdout), _O_BINARY);
    bridge_profile.context = CLSCTX_ALL;
    strcpy(bridge_profile.product, "Messenger 4.5");
    strcpy(bridge_profile.signin, "user@example.invalid");
    strcpy(bridge_profile.messenger, "Messenger.UIAutomation.1");
    if (StringFromGUID2(&LIBID_MessengerPrivate, libid, 40))
        WideCharToMultiByte(CP_ACP, 0, libid, -1, bridge_profile.libid, sizeof(bridge_profile.libid), NULL, NULL);
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { fputs(usage, stdout); return 0; }
        if (!strcmp(argv[i], "--profile") && i + 1 < argc) { profile_file = argv[++i]; continue; }
    }
    if (profile_file && !read_profile(profile_file)) return 2;
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--profile")) { i++; continue; }
        if (strncmp(arg, "--", 2) || i + 1 >= argc) { diag("bad argument '%s' (or its value is missing)\n%s", arg, usage); return 2; }
        if (!strcmp(arg, "--tcp")) { tcp = argv[++i]; continue; }
        if (!set_key(arg + 2, argv[++i], why, sizeof(why))) { diag("%s\n%s", why, usage); return 2; }
    }
    hr = CoInitializeEx(NULL, COINIT_APARTMENTTHREADED);
    if (FAILED(hr)) { diag("COM did not start (0x%08lx)", HR_BITS(hr)); return 1; }
    if (FAILED(com_start())) { CoUninitialize(); return 1; }
    if (!bridge_profile.implementation[0])
        snprintf(bridge_profile.implementation, sizeof(bridge_profile.implementation),
                 "the COM server registered for %s (through " BRIDGE_NAME ")", com_library_name());
    if (tcp) status = serve_tcp(tcp);
    else {
        struct channel c = {stdio_read, stdio_write, NULL, NULL};
        c.handle = GetStdHandle(STD_INPUT_HANDLE);
        c.other = GetStdHandle(STD_OUTPUT_HANDLE);
        converse(&c);
        status = 0;
    }
    com_stop();
    CoUninitialize();
    return status;
}
