/*
 * Reporter: the client side of a Report session, for publishing status.
 * SPDX-License-Identifier: MIT
 *
 * A reporter starts disabled. Enabling it opens a Report session labelled
 * with the report's name (the parent prefixes our own label, so report_rom
 * sees e.g. "test-report_rom -> brightness"), donates
 * REPORT_QUOTA_OVERHEAD + buffer_size and maps the shared buffer.
 * Disabling it closes the session; the server then empties the report.
 *
 * Reports are never truncated: data that does not fit the buffer is
 * refused and nothing is submitted. The struct is public so that it can
 * live in a component's struct main; its fields are read-only for users.
 */
#ifndef CAIRN_REPORTER_H
#define CAIRN_REPORTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cairn/dataspace.h>
#include <cairn/entrypoint.h>
#include <cairn/xml.h>

struct cairn_env;

struct reporter {
	struct cairn_env *env;
	char name[128];		/* the report's name, our session label */
	size_t buffer_size;	/* usable bytes of the buffer */
	int cap;		/* Report session, -1 while disabled */
	uint64_t id;
	struct cairn_ds ds;	/* the shared buffer, mapped writable */
	struct cairn_sig *response_sig;
	char detail[128];	/* the parent's reason for the last refusal */
};

/*
 * Prepare a disabled reporter for report `name` with a buffer of
 * buffer_size bytes (0: REPORT_DEFAULT_BUFFER). Nothing is opened yet.
 * Returns 0, or -ENAMETOOLONG when the name does not fit.
 */
int reporter_init(struct reporter *r, struct cairn_env *env, const char *name,
    size_t buffer_size) __attribute__((warn_unused_result));

/*
 * Enable: open the session and map the buffer. Enabling an enabled
 * reporter does nothing. Returns 0, or the negative errno of
 * cairn_session() (-EACCES, -EDQUOT, -EAGAIN, ...) with the parent's
 * explanation in r->detail, -EPROTO when the server's reply is malformed,
 * or -errno of mapping the buffer.
 */
int reporter_enable(struct reporter *r) __attribute__((warn_unused_result));

/* Disable: close the session (the server then empties the report). */
void reporter_disable(struct reporter *r);

bool reporter_enabled(const struct reporter *r);

/*
 * Copy data[0..len) into the buffer and submit it as the new report.
 * Returns 0, -ENOTCONN when disabled, -EMSGSIZE when len exceeds the
 * buffer (nothing is submitted), -EPIPE when the server is gone, -EIO
 * when the server refused the report.
 */
int reporter_submit(struct reporter *r, const void *data, size_t len)
    __attribute__((warn_unused_result));

/*
 * Generate an XML report with root node `root` (NULL: the report's name)
 * straight into the buffer by calling fn(g, ctx) inside the open root node
 * (see xml_generate() in xml.h), then submit it. The generator needs one
 * byte of the buffer for its terminating NUL, which is not submitted.
 * Returns 0, -ENOSPC when the report does not fit the buffer (nothing is
 * submitted), -EINVAL when fn produced malformed XML, or as
 * reporter_submit().
 */
int reporter_xml(struct reporter *r, const char *root,
    void (*fn)(struct xml_gen *g, void *ctx), void *ctx)
    __attribute__((warn_unused_result));

/*
 * Call fn whenever the server has a response for us. Returns 0,
 * -ENOTCONN when disabled, -ENOMEM, or -EPROTO when the server refused.
 */
int reporter_response_sigh(struct reporter *r, cairn_sig_fn fn, void *ctx)
    __attribute__((warn_unused_result));

/*
 * Ask the server for its response and copy it into dst. Returns the
 * response's length (0: none), -ENOTCONN when disabled, -EMSGSIZE when it
 * does not fit cap bytes, -EPROTO when the server claims more than its
 * buffer, -EPIPE when the server is gone.
 */
long reporter_obtain_response(struct reporter *r, void *dst, size_t cap);

/* Disable and release everything; r may be initialised again. */
void reporter_fini(struct reporter *r);

#endif
