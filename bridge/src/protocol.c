/* Requests of protocol v1 (docs/protocol.md): the handshake, worlds and their object handles, and the
 * dispatch of each party operation to com.c. One conversation at a time; main.c carries the lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "protocol.h"

static struct world **worlds;
static size_t world_count;
static unsigned next_world;

/* -- handles ------------------------------------------------------------------------------------- */

const char *world_handle(struct world *w, IUnknown *object)
{
    IUnknown *identity = NULL;
    struct handle *grown;
    size_t i;
    if (FAILED(IUnknown_QueryInterface(object, &IID_IUnknown, (void **)&identity))) return NULL;
    for (i = 0; i < w->handle_count; i++) {
        if (w->handles[i].identity == identity) {
            IUnknown_Release(identity);
            return w->handles[i].id;
        }
    }
    grown = realloc(w->handles, (w->handle_count + 1) * sizeof(*grown));
    if (!grown) { IUnknown_Release(identity); return NULL; }
    w->handles = grown;
    snprintf(grown[w->handle_count].id, sizeof(grown[0].id), "%s.o%u", w->id, ++w->next_object);
    grown[w->handle_count].identity = identity;  /* the world's reference */
    return grown[w->handle_count++].id;
}

IUnknown *world_lookup(struct world *w, const char *id)
{
    size_t i;
    for (i = 0; id && i < w->handle_count; i++)
        if (!strcmp(w->handles[i].id, id)) return w->handles[i].identity;
    return NULL;
}

static void world_close(struct world *w)
{
    size_t i;
    com_world_closing(w);
    for (i = 0; i < w->handle_count; i++) IUnknown_Release(w->handles[i].identity);
    free(w->handles);
    free(w);
}

void protocol_end_conversation(void)
{
    while (world_count) world_close(worlds[--world_count]);
}

/* -- answers ------------------------------------------------------------------------------------- */

static void send_line(struct channel *c, struct buf *line)
{
    buf_puts(line, "\n");
    c->write(c, line->data, line->length);
    buf_free(line);
}

static void send_result(struct channel *c, const struct json *id, const char *result)
{
    struct buf line = {0};
    protocol_result_line(&line, id, result);
    send_line(c, &line);
}

static void send_error(struct channel *c, const struct json *id, const char *code, const char *message)
{
    struct buf line = {0};
    protocol_error_line(&line, id, code, message);
    send_line(c, &line);
}

static void outcome_json(struct outcome *o, struct buf *out)
{
    buf_printf(out, "{\"hr\":%lu", HR_BITS(o->hr));
    if (o->value.length) { buf_puts(out, ",\"value\":"); buf_add(out, o->value.data, o->value.length); }
    if (o->outs.length) { buf_puts(out, ",\"outs\":["); buf_add(out, o->outs.data, o->outs.length); buf_puts(out, "]"); }
    buf_puts(out, "}");
}

static void profile_json(struct buf *b)
{
    const char *p = bridge_profile.features;
    int first = 1;
    buf_puts(b, "{\"implementation\":");
    buf_json_string(b, bridge_profile.implementation);
    buf_puts(b, ",\"product\":");
    buf_json_string(b, bridge_profile.product);
    buf_puts(b, ",\"features\":[");
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char feature[64];
        while (n && (*p == ' ')) { p++; n--; }
        while (n && p[n - 1] == ' ') n--;
        if (n && n < sizeof(feature)) {
            memcpy(feature, p, n);
            feature[n] = 0;
            if (!first) buf_puts(b, ",");
            first = 0;
            buf_json_string(b, feature);
        }
        if (!end) break;
        p = end + 1;
    }
    buf_puts(b, "],\"lock_id\":");
    if (bridge_profile.lock_id[0]) buf_json_string(b, bridge_profile.lock_id); else buf_puts(b, "null");
    buf_puts(b, ",\"lock_key\":");
    if (bridge_profile.lock_key[0]) buf_json_string(b, bridge_profile.lock_key); else buf_puts(b, "null");
    buf_puts(b, "}");
}

/* -- requests ------------------------------------------------------------------------------------ */

static struct world *find_world(const char *id, size_t *at)
{
    size_t i;
    for (i = 0; id && i < world_count; i++) {
        if (!strcmp(worlds[i]->id, id)) {
            *at = i;
            return worlds[i];
        }
    }
    return NULL;
}

static int is_objref(const struct json *v)
{
    return v && v->type == JSON_OBJECT && v->count == 2 && json_string(v, "object") && json_string(v, "interface");
}

/* NULL if m[key] is there with the wanted type (an object reference for JSON_OBJECT); else key. */
static const char *wanted(const struct json *m, const char *key, enum json_type type)
{
    const struct json *v = json_get(m, key);
    if (!v) return key;
    if (type == JSON_OBJECT) return is_objref(v) ? NULL : key;
    return v->type == type ? NULL : key;
}

/* One request; 0 when the conversation ends after it. */
static int handle(struct channel *c, const struct json *m, int *greeted)
{
    const struct json *id = json_get(m, "id");
    const char *op = json_string(m, "op"), *missing = NULL, *party;
    struct world *world;
    struct outcome o = {S_OK, {0}, {0}};
    struct buf result = {0};
    char message[300];
    size_t at = 0;
    if (!id || id->type != JSON_INT || id->integer < 0) { send_error(c, NULL, "bad-message", "no request id"); return 1; }
    if (!op) { send_error(c, id, "bad-message", "no 'op' string"); return 1; }
    if (!*greeted && strcmp(op, "hello")) {
        snprintf(message, sizeof(message), "%.100s before hello: the first message must be a hello", op);
        send_error(c, id, "no-handshake", message);
        return 1;
    }
    com_pump();
    if (!strcmp(op, "hello")) {
        if (!protocol_hello_speaks_v1(m)) {
            send_error(c, id, "version-mismatch", "this bridge speaks msgrspec-adapter version 1 only");
            return 0;
        }
        *greeted = 1;
        buf_puts(&result, "{\"protocol\":\"msgrspec-adapter\",\"version\":1,\"implementation\":");
        buf_json_string(&result, bridge_profile.implementation);
        buf_puts(&result, ",\"server\":\"" BRIDGE_NAME " " BRIDGE_VERSION "\"}");
        send_result(c, id, result.data);
        buf_free(&result);
        return 1;
    }
    if (!strcmp(op, "profile")) {
        profile_json(&result);
        send_result(c, id, result.data);
        buf_free(&result);
        return 1;
    }
    if (!strcmp(op, "open_world")) {
        struct world **grown = realloc(worlds, (world_count + 1) * sizeof(*grown));
        world = calloc(1, sizeof(*world));
        if (!grown || !world) { free(world); send_error(c, id, "adapter-fault", "out of memory"); return 1; }
        worlds = grown;
        snprintf(world->id, sizeof(world->id), "w%u", ++next_world);
        worlds[world_count++] = world;
        buf_printf(&result, "{\"world\":\"%s\",\"parties\":{\"local\":{\"signin\":", world->id);
        buf_json_string(&result, bridge_profile.signin);
        buf_puts(&result, "},\"peer\":null}}");
        send_result(c, id, result.data);
        buf_free(&result);
        return 1;
    }
    if (!strcmp(op, "shutdown")) {
        send_result(c, id, "{}");
        return 0;
    }
    world = find_world(json_string(m, "world"), &at);
    if (!json_string(m, "world")) { send_error(c, id, "bad-message", "no 'world' string"); return 1; }
    if (!world) {
        snprintf(message, sizeof(message), "no open world %.200s", json_string(m, "world"));
        send_error(c, id, "unknown-world", message);
        return 1;
    }
    if (!strcmp(op, "close_world")) {
        worlds[at] = worlds[--world_count];
        world_close(world);
        send_result(c, id, "{}");
        return 1;
    }
    party = json_string(m, "party");
    if (!party || (strcmp(party, "local") && strcmp(party, "peer"))) {
        send_error(c, id, "bad-message", "'party' must be \"local\" or \"peer\"");
        return 1;
    }
    if (!strcmp(party, "peer")) {
        send_error(c, id, "no-peer", "a COM client has one signed-in user: there is no second party");
        return 1;
    }
    if (!strcmp(op, "events")) {
        com_poll_events(world, &result);
        send_result(c, id, result.data);
        buf_free(&result);
        return 1;
    }
    if (!strcmp(op, "output")) {
        send_result(c, id, "{\"text\":\"\"}");  /* the bridge's diagnostics go to stderr */
        return 1;
    }
    if (!strcmp(op, "create")) {
        const char *key = json_string(m, "coclass");
        if (!key) missing = "coclass";
        else com_create(world, key, &o);
    } else if (!strcmp(op, "query_interface")) {
        const char *key = json_string(m, "interface");
        if ((missing = wanted(m, "object", JSON_OBJECT)) || (missing = key ? NULL : "interface")) {}
        else com_query_interface(world, json_get(m, "object"), key, &o);
    } else if (!strcmp(op, "call")) {
        const struct json *args = json_get(m, "args");
        if ((missing = wanted(m, "object", JSON_OBJECT)) || (missing = json_string(m, "method") ? NULL : "method") ||
            (missing = args && args->type == JSON_ARRAY ? NULL : "args")) {}
        else com_invoke(world, json_get(m, "object"), json_string(m, "method"), DISPATCH_METHOD, args, NULL, &o);
    } else if (!strcmp(op, "get") || !strcmp(op, "put")) {
        int put = !strcmp(op, "put");
        const struct json *value = json_get(m, "value");
        if ((missing = wanted(m, "object", JSON_OBJECT)) ||
            (missing = json_string(m, "property") ? NULL : "property") || (missing = !put || value ? NULL : "value")) {}
        else com_invoke(world, json_get(m, "object"), json_string(m, "property"),
                        put ? DISPATCH_PROPERTYPUT : DISPATCH_PROPERTYGET, value, json_get(m, "index"), &o);
    } else if (!strcmp(op, "connect")) {
        const char *key = json_string(m, "dispinterface");
        if ((missing = wanted(m, "object", JSON_OBJECT)) || (missing = key ? NULL : "dispinterface")) {}
        else com_connect(world, json_get(m, "object"), key, &o);
    } else if (!strcmp(op, "disconnect")) {
        if ((missing = wanted(m, "object", JSON_OBJECT)) || (missing = wanted(m, "cookie", JSON_INT))) {}
        else com_disconnect(world, json_get(m, "object"), json_get(m, "cookie")->integer, &o);
    } else if (!strcmp(op, "contact")) {
        const char *signin = json_string(m, "signin");
        if (!signin) missing = "signin";
        else com_contact(world, signin, &o);
    } else if (!strcmp(op, "type_info")) {
        const char *name = json_string(m, "name");
        if (!name) missing = "name";
        else com_type_info(name, &o);
    } else if (!strcmp(op, "launch")) {
        if (!(missing = wanted(m, "invitation", JSON_OBJECT))) o.hr = E_NOTIMPL;
    } else {
        snprintf(message, sizeof(message), "unknown operation %.200s", op);
        send_error(c, id, "bad-message", message);
        return 1;
    }
    if (missing) {
        snprintf(message, sizeof(message), "%s: '%s' is missing or has the wrong type", op, missing);
        send_error(c, id, "bad-message", message);
    } else {
        outcome_json(&o, &result);
        send_result(c, id, result.data);
    }
    buf_free(&o.value);
    buf_free(&o.outs);
    buf_free(&result);
    return 1;
}

int protocol_line(struct channel *c, char *line, size_t length, int *greeted)
{
    struct json *message;
    char error[200];
    int going = 1;
    while (length && (line[length - 1] == '\n' || line[length - 1] == '\r')) line[--length] = 0;
    if (!length) return 1;
    message = json_parse(line, length, error);
    if (!message) {
        send_error(c, NULL, "bad-json", error);
        return 1;
    }
    if (message->type != JSON_OBJECT) send_error(c, NULL, "bad-message", "a message must be a JSON object");
    else going = handle(c, message, greeted);
    json_free(message);
    return going;
}
