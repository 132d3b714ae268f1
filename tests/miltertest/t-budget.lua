-- The relay budget (RelayLimit per=relay relay=budget.test msgs/min=1 in
-- the daemon's configuration): quarantine is negotiated; the first message
-- through [budget.test] goes on, the second is held in the MTA's queue
-- with a reason naming the budget, and still gets its trace header (it
-- leaves later, as decided).
dofile(DIR .. "/common.lua")
BUDGET = { "<friend@remote.test>", "relay", "[budget.test]" }
run(function()
	local conn = open("127.0.0.1")
	check(mt.test_action(conn, SMFIF_QUARANTINE), "QUARANTINE not negotiated")
	message(conn, "MT0BUDGT01", "<www@host.example.lan>", { BUDGET },
	    { { "From", "www@host.example.lan" } })
	check(finish(conn) == SMFIR_CONTINUE, "first message")
	check(not mt.eom_check(conn, MT_QUARANTINE), "first message held")
	message(conn, "MT0BUDGT02", "<www@host.example.lan>", { BUDGET },
	    { { "From", "www@host.example.lan" } })
	check(finish(conn) == SMFIR_CONTINUE, "second message: accepted")
	check(mt.eom_check(conn, MT_QUARANTINE,
	    "relaymilter relay budget: relay:budget.test msgs/min 2/1"),
	    "second message not held with the budget's reason")
	check(mt.eom_check(conn, MT_HDRINSERT, "X-Relay-Trace"),
	    "the held message has no trace header")
	mt.disconnect(conn)
end)
