/*
 * Slipway's placeholder: what a new environment serves until CI deploys the application.
 *
 * Server (no arguments): listens on the port in PORT (the stack sets PORT to its containerPort;
 * 3000 when unset, the stack's default) on every address, answers every GET and HEAD with 200
 * and one line of text (so whatever healthCheckPath is, it answers), anything else with 405,
 * and exits 0 on SIGTERM or SIGINT (ECS stops a task with SIGTERM).
 *
 * Health probe (run as "node -e <script>"): the stack's default container health check is
 * ["CMD", "node", "-e", "fetch('http://127.0.0.1:<port><path>',...)..."] (slipway.fargate_task,
 * node_health_check). The image has no Node.js: this binary is also installed as /bin/node,
 * takes the URL out of the script, GETs it and exits 0 on a 200-399 status, 1 otherwise, as
 * that script does.
 *
 * Built statically (gcc -static -Os) into an image FROM scratch, run as an unprivileged user.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define DEFAULT_PORT 3000
#define REQUEST_MAX 8192
#define TIMEOUT_SECONDS 2

static const char BODY[] = "Slipway placeholder: this environment has not had its first deploy yet\n";

static volatile sig_atomic_t stopping = 0;

static void stop(int signal_number) {
    (void)signal_number;
    stopping = 1;
}

static void set_timeouts(int fd) {
    struct timeval tv = {.tv_sec = TIMEOUT_SECONDS, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int write_all(int fd, const char *data, size_t length) {
    while (length > 0) {
        ssize_t n = write(fd, data, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        data += n;
        length -= (size_t)n;
    }
    return 0;
}

/* Parse a port number (1-65535); -1 when text is not one. */
static int parse_port(const char *text, const char **end) {
    long value = 0;
    const char *p = text;
    while (*p >= '0' && *p <= '9' && value <= 65535) value = value * 10 + (*p++ - '0');
    if (end) *end = p;
    if (p == text || value < 1 || value > 65535) return -1;
    return (int)value;
}

static void answer(int client) {
    char request[REQUEST_MAX + 1];
    size_t used = 0;
    set_timeouts(client);
    /* Read the request head (up to the blank line); a body, if any, is ignored. */
    while (used < REQUEST_MAX) {
        ssize_t n = read(client, request + used, REQUEST_MAX - used);
        if (n < 0 && errno == EINTR && !stopping) continue;
        if (n <= 0) break;
        used += (size_t)n;
        request[used] = '\0';
        if (strstr(request, "\r\n\r\n") || strstr(request, "\n\n")) break;
    }
    request[used] = '\0';
    if (used == 0) return;
    int head = strncmp(request, "HEAD ", 5) == 0;
    int get = strncmp(request, "GET ", 4) == 0;
    char response[512];
    int length;
    if (get || head) {
        length = snprintf(response, sizeof response,
                          "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                          "Content-Length: %zu\r\nCache-Control: no-store\r\n"
                          "Connection: close\r\n\r\n",
                          sizeof BODY - 1);
    } else {
        length = snprintf(response, sizeof response,
                          "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\n"
                          "Content-Length: 0\r\nConnection: close\r\n\r\n");
    }
    if (write_all(client, response, (size_t)length) == 0 && get) write_all(client, BODY, sizeof BODY - 1);
}

static int listen_on(int port) {
    /* IPv6 with IPv4-mapped addresses (dual stack), else IPv4 alone. */
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1, zero = 0;
    if (fd >= 0) {
        struct sockaddr_in6 address;
        memset(&address, 0, sizeof address);
        address.sin6_family = AF_INET6;
        address.sin6_addr = in6addr_any;
        address.sin6_port = htons((unsigned short)port);
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        if (bind(fd, (struct sockaddr *)&address, sizeof address) == 0 && listen(fd, 64) == 0)
            return fd;
        close(fd);
    }
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in address4;
    memset(&address4, 0, sizeof address4);
    address4.sin_family = AF_INET;
    address4.sin_addr.s_addr = htonl(INADDR_ANY);
    address4.sin_port = htons((unsigned short)port);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&address4, sizeof address4) != 0 || listen(fd, 64) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int serve(void) {
    const char *text = getenv("PORT");
    int port = DEFAULT_PORT;
    if (text && *text) {
        const char *end;
        port = parse_port(text, &end);
        if (port < 0 || *end != '\0') {
            fprintf(stderr, "placeholder: PORT=%s is not a port (1-65535)\n", text);
            return 2;
        }
    }
    /* No SA_RESTART: a signal interrupts accept(), and the loop ends. */
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = stop;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
    int server = listen_on(port);
    if (server < 0) {
        fprintf(stderr, "placeholder: cannot listen on port %d: %s\n", port, strerror(errno));
        return 1;
    }
    printf("placeholder: listening on port %d\n", port);
    fflush(stdout);
    while (!stopping) {
        int client = accept4(server, NULL, NULL, SOCK_CLOEXEC);
        if (client < 0) continue;
        answer(client);
        close(client);
    }
    close(server);
    printf("placeholder: stopped\n");
    return 0;
}

/* "node -e <script>": GET the http://127.0.0.1:<port><path> the script names. */
static int probe(const char *script) {
    static const char PREFIX[] = "http://127.0.0.1:";
    const char *url = strstr(script, PREFIX);
    if (!url) {
        fprintf(stderr, "placeholder: no %s URL in the health check\n", PREFIX);
        return 1;
    }
    const char *path;
    int port = parse_port(url + sizeof PREFIX - 1, &path);
    if (port < 0) return 1;
    size_t path_length = strcspn(path, "'\"` ");
    if (path_length == 0 || path_length > 1024 || *path != '/') return 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 1;
    set_timeouts(fd);
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons((unsigned short)port);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) return 1;
    char request[1200];
    int length = snprintf(request, sizeof request,
                          "GET %.*s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n",
                          (int)path_length, path, port);
    if (write_all(fd, request, (size_t)length) != 0) return 1;
    char status[32];
    ssize_t n = read(fd, status, sizeof status - 1);
    close(fd);
    if (n < 12) return 1;
    status[n] = '\0';
    if (strncmp(status, "HTTP/1.", 7) != 0) return 1;
    int code = atoi(status + 9);
    return code >= 200 && code < 400 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "-e") == 0) return probe(argv[2]);
    if (argc > 1) {
        fprintf(stderr, "usage: placeholder (serve on $PORT) | node -e <health check script>\n");
        return 2;
    }
    return serve();
}
