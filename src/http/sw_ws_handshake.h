/* sw_ws_handshake: the RFC 6455 opening handshake's pure parts — the header checks of an upgrade
 * request and the Sec-WebSocket-Accept digest (SHA-1 from nettle, base64 from libsodium). No
 * sockets, no MHD: the fuzz target drives these directly. */
#ifndef SW_WS_HANDSHAKE_H
#define SW_WS_HANDSHAKE_H

/* The handshake's header checks (values as received, NULL when absent): SW_WS_NOT_WEBSOCKET
 * (426) unless Upgrade lists "websocket", Connection lists "upgrade" (comma-separated tokens,
 * any case) and Sec-WebSocket-Version is "13"; SW_WS_BAD_KEY (400) unless Sec-WebSocket-Key is
 * 16 bytes in base64; else SW_WS_HANDSHAKE_OK. */
enum { SW_WS_HANDSHAKE_OK = 0, SW_WS_NOT_WEBSOCKET = 1, SW_WS_BAD_KEY = 2 };
int sw_ws_handshake_check(const char *upgrade, const char *connection, const char *version,
                          const char *key);

/* base64(SHA-1(key + the RFC 6455 GUID)) into out (>= 29 bytes); key NULL counts as "". */
void sw_ws_accept_key(const char *key, char out[29]);

#endif
