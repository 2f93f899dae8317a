/* te_frame.c - see te_frame.h. */
#include "te_frame.h"

#include "te_platform.h"

enum { HUNT_SYNC1, HUNT_SYNC2, HEADER, PAYLOAD, CRC };

void te_frame_decoder_init(te_frame_decoder *decoder)
{
    decoder->state = HUNT_SYNC1;
    decoder->got = 0;
}

/* Bitwise CRC-32 (reflected polynomial 0xEDB88320): no table, so no flash or RAM cost;
 * a 3 KB input costs ~0.1 M instructions, small next to an inference. */
uint32_t te_crc32_update(uint32_t crc, const uint8_t *data, uint32_t length)
{
    crc = ~crc;
    for (uint32_t i = 0; i < length; ++i) {
        crc ^= data[i];
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

static uint32_t read_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

int te_frame_decoder_push(te_frame_decoder *d, uint8_t byte)
{
    switch (d->state) {
    case HUNT_SYNC1:
        d->state = byte == TE_SYNC1 ? HUNT_SYNC2 : HUNT_SYNC1;
        return 0;
    case HUNT_SYNC2:
        d->state = byte == TE_SYNC2 ? HEADER : (byte == TE_SYNC1 ? HUNT_SYNC2 : HUNT_SYNC1);
        d->got = 0;
        return 0;
    case HEADER:
        d->header[d->got++] = byte;
        if (d->got == 4) {
            d->frame.type = d->header[0];
            d->frame.seq = d->header[1];
            d->frame.length = (uint16_t)(d->header[2] | (d->header[3] << 8));
            d->got = 0;
            if (d->frame.length > TE_FRAME_MAX_PAYLOAD) {
                d->state = HUNT_SYNC1; /* cannot be ours: resynchronise */
            } else {
                d->state = d->frame.length ? PAYLOAD : CRC;
            }
        }
        return 0;
    case PAYLOAD:
        d->frame.payload[d->got++] = byte;
        if (d->got == d->frame.length) {
            d->state = CRC;
            d->got = 0;
        }
        return 0;
    default: /* CRC */
        d->crc_bytes[d->got++] = byte;
        if (d->got < 4) {
            return 0;
        }
        d->state = HUNT_SYNC1;
        uint32_t crc = te_crc32_update(0, d->header, 4);
        crc = te_crc32_update(crc, d->frame.payload, d->frame.length);
        return crc == read_le32(d->crc_bytes);
    }
}

static void send_bytes(const uint8_t *data, uint32_t length)
{
    for (uint32_t i = 0; i < length; ++i) {
        te_uart_putc(data[i]);
    }
}

void te_frame_send(uint8_t type, uint8_t seq, const uint8_t *a, uint32_t a_len,
                   const uint8_t *b, uint32_t b_len)
{
    const uint32_t length = a_len + b_len;
    const uint8_t header[6] = {TE_SYNC1, TE_SYNC2, type, seq, (uint8_t)length,
                               (uint8_t)(length >> 8)};
    uint32_t crc = te_crc32_update(0, header + 2, 4);
    crc = te_crc32_update(crc, a, a_len);
    crc = te_crc32_update(crc, b, b_len);
    const uint8_t trailer[4] = {(uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16),
                                (uint8_t)(crc >> 24)};
    send_bytes(header, 6);
    send_bytes(a, a_len);
    send_bytes(b, b_len);
    send_bytes(trailer, 4);
}
