/*
 * hello: the smallest component — logs a greeting and exits.
 * SPDX-License-Identifier: MIT
 */
#include <cairn/env.h>

void
construct(struct cairn_env *env)
{
	cairn_log(env, "Hello, world");
	cairn_exit(env, 0);
}
