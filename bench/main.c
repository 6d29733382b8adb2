/* Thin entry point: everything lives in the library (tests call it too). */
#include "cli.h"

int main(int argc, char **argv) { return aib_main(argc, argv); }
