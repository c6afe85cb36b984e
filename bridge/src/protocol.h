/* Between the transports (main.c) and the protocol (protocol.c). */
#ifndef BRIDGE_PROTOCOL_H
#define BRIDGE_PROTOCOL_H

#include <stddef.h>

/* A byte stream to the client: standard input/output, or one TCP connection. */
struct channel {
    int (*read)(struct channel *c, char *data, int size);   /* bytes read; 0 at the end; -1 on an error */
    int (*write)(struct channel *c, const char *data, size_t length);
    void *handle;   /* the transport's own */
    void *other;
};

/* One line from the client (its terminator may still be on it); 0 when the conversation ends. */
int protocol_line(struct channel *c, char *line, size_t length, int *greeted);
/* The conversation is over: close every world it opened. */
void protocol_end_conversation(void);

#endif
