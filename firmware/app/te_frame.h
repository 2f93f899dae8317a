/*
 * te_frame.h - byte framing of the serial protocol (device side of
 * tinyedge/device/framing.py; shared constants generated from tinyedge/protocol.py):
 *
 *   0xA5 0x5A | type:u8 | seq:u8 | length:u16 LE | payload[length] | crc32:u32 LE
 *
 * CRC-32 is IEEE 802.3 (zlib's) over type, seq, length and payload. The decoder drops a
 * frame with a bad CRC or an oversized length and hunts for the next sync pair; the
 * host retries whatever got lost.
 */
#ifndef TE_FRAME_H
#define TE_FRAME_H

#include <stdint.h>

/* TE_FRAME_MAX_PAYLOAD (the largest request: an input chunk plus its offset), the sync
 * bytes and every code come from the generated protocol header (tinyedge/protocol.py). */
#include "te_protocol_gen.h"

typedef struct {
    uint8_t type;
    uint8_t seq;
    uint16_t length;
    uint8_t payload[TE_FRAME_MAX_PAYLOAD];
} te_frame;

typedef struct {
    int state;
    uint32_t got;
    uint8_t header[4];
    uint8_t crc_bytes[4];
    te_frame frame;
} te_frame_decoder;

void te_frame_decoder_init(te_frame_decoder *decoder);

/* Feed one received byte; returns 1 when decoder->frame holds a complete, valid frame. */
int te_frame_decoder_push(te_frame_decoder *decoder, uint8_t byte);

uint32_t te_crc32_update(uint32_t crc, const uint8_t *data, uint32_t length);

/* Send one frame whose payload is the concatenation of `a` and `b` (either may be
 * empty), so replies like index + result need no copy into a staging buffer. */
void te_frame_send(uint8_t type, uint8_t seq, const uint8_t *a, uint32_t a_len,
                   const uint8_t *b, uint32_t b_len);

#endif /* TE_FRAME_H */
