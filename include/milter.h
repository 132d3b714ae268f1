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
 */
#ifndef RM_MILTER_H
#define RM_MILTER_H

struct spfc;

int	milter_register(void);
/* The process-wide SPF checker (NULL: no SPF checks); before smfi_main. */
void	milter_set_spf(struct spfc *sc);

#endif
