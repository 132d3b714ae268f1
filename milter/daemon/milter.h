/*
 * milter.h - the libmilter side of relaymilter
 *
 * CONTRACT
 *	milter_register() registers the callbacks with libmilter. The
 *	callbacks only gather per-connection and per-message facts, call
 *	policy_decide() (and the SPF/alignment checks) at end of message, apply
 *	the resulting actions with smfi_* calls and write the one decision
 *	line. No other module sees a libmilter type.
 *
 *	Failure policy: any internal trouble (allocation failure, a failed
 *	smfi_* call, state missing) never crashes the session: the message
 *	gets On-InternalError (tempfail, or accept unchanged) and the decision
 *	line says result=tempfail or result=failopen with error="...". State is
 *	reset at each MAIL FROM and freed on abort and close.
 *
 *	Stop: milter_quiesce() makes sure no callback still reads the
 *	snapshot, the SPF checker or the log before main() frees them
 *	(libmilter does not join its session threads when smfi_main returns).
 */
#ifndef RM_MILTER_H
#define RM_MILTER_H

struct spfc;

int	milter_register(void);
/*
 * After smfi_main() returned: close the callbacks' gate and wait up to
 * timeout_ms until no callback runs; 0 when none does (the shared state
 * may be freed), -1 when *busy callbacks still run (leave it alone).
 */
int	milter_quiesce(unsigned timeout_ms, unsigned *busy);
/* The process-wide SPF checker (NULL: no SPF checks); before smfi_main. */
void	milter_set_spf(struct spfc *sc);

#endif
