/*
 * ready: the component the start benchmark boots — logs "ready" and stays.
 * SPDX-License-Identifier: MIT
 *
 * Returning from construct() leaves the component in its entrypoint, so it
 * lives on (idle) until its parent stops it; the benchmark counts the
 * "ready" lines of 100 of them.
 */
#include <cairn/env.h>

void
construct(struct cairn_env *env)
{
	cairn_log(env, "ready");
}
