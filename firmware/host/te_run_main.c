/*
 * te_run_main.c - a standalone host program around one generated model, for sanitizer
 * builds (the fuzzing harness, tests/fuzz/): reads inputs back to back from argv[1] and
 * writes the outputs back to back to argv[2]. Exit 0 on success, 3 when a kernel
 * returns an error status, 2 on a usage or I/O problem.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "te_model.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s INPUTS OUTPUTS\n", argv[0]);
        return 2;
    }
    const te_model_info *info = te_model_get_info();
    if (info->arena_size < 0 || info->input_size <= 0 || info->output_size <= 0) {
        fprintf(stderr, "bad model info\n");
        return 2;
    }
    const size_t arena_bytes = ((size_t)info->arena_size + 15u) / 16u * 16u;
    uint8_t *arena = aligned_alloc(16, arena_bytes > 0 ? arena_bytes : 16u);
    int8_t *input = malloc((size_t)info->input_size);
    FILE *in = fopen(argv[1], "rb");
    FILE *out = fopen(argv[2], "wb");
    if (arena == NULL || input == NULL || in == NULL || out == NULL) {
        fprintf(stderr, "cannot allocate or open files\n");
        return 2;
    }
    int code = 0;
    while (fread(input, 1, (size_t)info->input_size, in) == (size_t)info->input_size) {
        memcpy(arena + info->input_offset, input, (size_t)info->input_size);
        const te_status status = te_model_invoke(arena);
        if (status != TE_OK) {
            fprintf(stderr, "te_model_invoke returned %d\n", (int)status);
            code = 3;
            break;
        }
        fwrite(arena + info->output_offset, 1, (size_t)info->output_size, out);
    }
    fclose(in);
    fclose(out);
    free(input);
    free(arena);
    return code;
}
