-- An untrusted client: decided at end of message like any other, but its
-- sender is never rewritten (asserted with milterclient and the log).
dofile(DIR .. "/common.lua")
run(function()
	local conn = open("192.0.2.10")
	message(conn, "MT0UNTRU01", "<acct@gmail.com>", { GMAIL },
	    { { "From", "acct@gmail.com" } })
	check(finish(conn) == SMFIR_CONTINUE, "end of message reply")
	check(not mt.eom_check(conn, MT_HDRCHANGE, "From"), "From: changed")
	mt.disconnect(conn)
end)
