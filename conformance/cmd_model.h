/* cmd_model.h: `conformance model`: random histories over the profile's
 * stateful surface, checked against the protocol's sequential model. */
#ifndef AFI_CONFORMANCE_CMD_MODEL_H
#define AFI_CONFORMANCE_CMD_MODEL_H

/* The subcommand; argv[0] is "model". Returns an exit code (exit_code.h). */
int cmd_model(int argc, char **argv);

#endif
