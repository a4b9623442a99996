/* The model, linked into flash as read-only data; PQK_MODEL_PATH is set on the compiler command line. */
    .section .rodata.pqk_model, "a"
    .balign 16
    .global pqk_model_start
pqk_model_start:
    .incbin PQK_MODEL_PATH
    .global pqk_model_end
pqk_model_end:
