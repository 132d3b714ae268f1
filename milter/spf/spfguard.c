/*
 * spfguard.c - libspf2's error handlers: unwind to the guarded call
 *		instead of abort()
 *
 * CONTRACT
 *	See the guard in spfint.h. spfguard_install() sets libspf2's
 *	four handler pointers once per process (pthread_once); after it,
 *	SPF_error() never aborts and never returns: it unwinds to this
 *	thread's spfguard_jmp, or ends the process with _exit(70) and the
 *	message on stderr when no call is guarded. The handler writes only
 *	to a fixed thread-local buffer: it allocates nothing and is safe in
 *	an out-of-memory path. Also spfc_selftest_error_handler() of
 *	spfcheck.h, which proves the unwinding on this libspf2.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <spf2/spf.h>

#include "spfcheck.h"
#include "spfint.h"

__thread sigjmp_buf *spfguard_jmp;
/* libspf2's message, cut at 255 bytes: the handler runs in an error path
 * (possibly out of memory) and must not allocate */
static __thread char tl_errmsg[256];
static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

static void __attribute__((noreturn))
on_spf_error(const char *file, int line, const char *msg)
{
	snprintf(tl_errmsg, sizeof(tl_errmsg), "libspf2 %s:%d: %s",
	    file ? file : "?", line, msg ? msg : "?");
	if (spfguard_jmp != NULL)
		siglongjmp(*spfguard_jmp, 1);
	/* Unreachable: every libspf2 call of the checker is guarded. The
	 * handler may not return; end the process without a core dump. */
	(void)write(STDERR_FILENO, tl_errmsg, strlen(tl_errmsg));
	(void)write(STDERR_FILENO, "\n", 1);
	_exit(70);
}

static void
on_spf_quiet(const char *file, int line, const char *msg)
{
	(void)file;
	(void)line;
	(void)msg;
}

static void
install_handlers(void)
{
	SPF_error_handler = on_spf_error;
	SPF_warning_handler = on_spf_quiet;
	SPF_info_handler = on_spf_quiet;
	SPF_debug_handler = on_spf_quiet;
}

void
spfguard_install(void)
{
	pthread_once(&handlers_once, install_handlers);
}

const char *
spfguard_message(void)
{
	return tl_errmsg;
}

int
spfc_selftest_error_handler(strbuf *msg)
{
	sigjmp_buf jb;
	sigjmp_buf *volatile saved = spfguard_jmp;
	SPF_server_t *volatile srv = NULL;
	SPF_request_t *volatile req = NULL;
	volatile int rc = -1;

	spfguard_install();
	if (sigsetjmp(jb, 0) == 0) {
		spfguard_jmp = &jb;
		srv = SPF_server_new(SPF_DNS_ZONE, 0);
		if (srv != NULL)
			req = SPF_request_new(srv);
		if (req != NULL) {
			/* libspf2 answers a NULL sender with SPF_error() */
			SPF_request_set_env_from(req, NULL);
			sb_puts(msg, "SPF_error() was not called");
		}
	} else {
		sb_puts(msg, tl_errmsg);
		rc = 0;
	}
	spfguard_jmp = saved;
	if (req != NULL)
		SPF_request_free(req);
	if (srv != NULL)
		SPF_server_free(srv);
	return rc;
}
