/*
 * test_causes.c - the cause catalogue: one vector (at least) per cause
 *
 * CONTRACT
 *	Every entry of the table in causes.c is exercised by a vector
 *	below that must classify to it; test_every_cause_has_a_vector fails
 *	when a cause is added without one. Replies are the wire texts the
 *	relays send (Google's "Gmail SMTP errors and codes", Microsoft 365,
 *	sendmail's own stat= texts), as sendmail logs them in reply=/stat=.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "causes.h"

struct vec {
	const char	*want;		/* expected id, NULL: no match */
	struct cause_input in;
};

#define R(r)		{ .reply = r }
#define RS(r, s)	{ .reply = r, .stat = s }
#define S(s, d)		{ .stat = s, .dsn = d }
#define POL(x)		{ .phase = CAUSE_PHASE_POLICY, .extra = x }

static const struct vec vecs[] = {
	{ "starttls-required", R("530 5.7.0 Must issue a STARTTLS command "
	    "first. d2e1a72fcca58-73bd2b3 - gsmtp") },
	{ "starttls-required", S("Deferred: 530 5.7.0 Must issue a STARTTLS "
	    "command first", "5.7.0") },
	{ "auth-required", RS("530 5.7.0 Authentication Required. For more "
	    "information, go to https://support.google.com/mail/?p=WantAuthError "
	    "x1-20020a17 - gsmtp", "Service unavailable") },
	{ "basic-auth-disabled", R("530 5.7.57 Client not authenticated to send "
	    "mail. [AM0PR02CA0001.eurprd02.prod.outlook.com]") },
	/* SendGrid without AUTH (docs.sendgrid.com, "SMTP errors") */
	{ "auth-required", RS("550 Unauthenticated senders not allowed",
	    "Service unavailable") },
	{ "auth-app-password", R("534 5.7.9 Application-specific password "
	    "required. Learn more at https://support.google.com/mail/"
	    "?p=InvalidSecondFactor t123sm644947oie.40 - gsmtp") },
	{ "auth-app-password", R("534 5.7.9  https://support.google.com/mail/"
	    "?p=InvalidSecondFactor t123sm644947oie.40 - gsmtp") },
	{ "auth-web-login", R("534 5.7.14 Please log in with your web browser "
	    "and then try again. Learn more at https://support.google.com/mail/"
	    "?p=WebLoginRequired - gsmtp") },
	{ "auth-web-login", R("534 5.7.9 Please log in with your web browser "
	    "and then try again - gsmtp") },
	{ "auth-bad-credentials", R("535 5.7.8 Username and Password not "
	    "accepted. For more information, go to https://support.google.com/"
	    "mail/?p=BadCredentials a1-20020a5d - gsmtp") },
	{ "auth-bad-credentials", R("535 5.7.8  https://support.google.com/"
	    "mail/?p=BadCredentials a1-20020a5d - gsmtp") },
	{ "auth-bad-credentials", R("535 5.7.3 Authentication unsuccessful "
	    "[LO4P123CA0001.GBRP123.PROD.OUTLOOK.COM]") },
	{ "auth-mechanism", R("504 5.7.4 Unrecognized authentication type. "
	    "- gsmtp") },
	{ "auth-mechanism", { .stat = "Deferred: Temporary AUTH failure",
	    .extra = "AUTH=client, available mechanisms do not fulfill "
	    "requirements", .phase = CAUSE_PHASE_AUTH } },
	{ "auth-rate-limit", R("454 4.7.0 Too many login attempts, please try "
	    "again later. https://support.google.com/mail/answer/7126229 - "
	    "gsmtp") },
	{ "auth-temporary", S("Deferred: Temporary AUTH failure", "4.7.0") },
	{ "auth-temporary", R("454 4.7.0 Cannot authenticate due to a "
	    "temporary system problem. Try again later. - gsmtp") },
	{ "authinfo-broken", { .stat = "Deferred: Temporary AUTH failure",
	    .extra = "AUTH=client, relay=smtp.gmail.com [142.250.102.108], "
	    "authinfo failed" } },
	{ "auth-identity-change", R("503 5.7.0 No identity changes permitted. "
	    "- gsmtp") },
	{ "basic-auth-disabled", R("535 5.7.139 Authentication unsuccessful, "
	    "SmtpClientAuthentication is disabled for the Tenant. Visit "
	    "https://aka.ms/smtp_auth_disabled for more information.") },
	{ "basic-auth-disabled", R("550 5.7.30 Basic authentication is not "
	    "supported for Client Submission.") },
	/* sendmail goes on unauthenticated after the refused AUTH; Microsoft's
	 * MAIL reply quotes the AUTH refusal */
	{ "basic-auth-disabled", R("530 5.7.57 Client not authenticated to "
	    "send mail. Error: 535 5.7.139 Authentication unsuccessful, "
	    "SmtpClientAuthentication is disabled for the Tenant.") },
	{ "greeting-timeout", S("Deferred: timeout waiting for input from "
	    "smtp.example.com. during client greeting", "4.4.2") },
	{ "sendas-denied", R("554 5.2.0 STOREDRV.Submission.Exception:"
	    "SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process "
	    "message due to a permanent exception") },
	{ "sendas-denied", R("554 5.2.252 SendAsDenied; alice@example.com not "
	    "allowed to send as bob@example.org") },
	{ "sender-identity-unverified", R("550 The from address does not match "
	    "a verified Sender Identity. Mail cannot be sent until this error "
	    "is resolved.") },
	{ "relay-denied", R("550 5.7.0 Email relay denied 192.0.2.10. Invalid "
	    "credentials for relay for one of the domains in: example.test (as "
	    "obtained from HELO and (E)MAIL FROM). Email is being sent from a "
	    "domain or IP address which isn't registered in your Workspace "
	    "account. - gsmtp") },
	{ "relay-denied", R("554 5.7.1 <bob@remote.test>: Relay access "
	    "denied") },
	{ "relay-sender-domain", R("550 5.7.1 Invalid credentials for relay "
	    "[192.0.2.10]. The IP address you've registered in your Workspace "
	    "SMTP Relay service doesn't match the domain of the account this "
	    "email is being sent from. - gsmtp") },
	{ "quota-user-daily", R("550 5.4.5 Daily user sending limit exceeded. "
	    "For more information on Gmail sending limits go to "
	    "https://support.google.com/a/answer/166852 - gsmtp") },
	{ "quota-user-daily", R("550 5.4.5 Daily SMTP relay limit exceeded "
	    "for user. - gsmtp") },
	{ "quota-customer", R("550 5.7.1 Daily SMTP relay sending limit "
	    "exceeded for this customer. - gsmtp") },
	{ "quota-customer", R("450 4.2.1 Peak SMTP relay limit exceeded for "
	    "this customer. - gsmtp") },
	{ "rate-limit", R("421 4.7.0 Try again later, closing connection. "
	    "(MAIL) d2e1a72fcca58-73 - gsmtp") },
	{ "rate-limit-reputation", R("421 4.7.28 Gmail has detected an unusual "
	    "rate of unsolicited mail originating from your IP address. - "
	    "gsmtp") },
	{ "rate-limit-reputation", R("550 5.7.28 Gmail has detected an unusual "
	    "rate of unsolicited mail. - gsmtp") },
	{ "recipient-rate-limit", R("450 4.2.1 The user you are trying to "
	    "contact is receiving mail at a rate that prevents additional "
	    "messages from being delivered. - gsmtp") },
	{ "ptr-missing", R("421 4.7.0 The IP address sending this message does "
	    "not have a PTR record setup, or the corresponding forward DNS entry "
	    "does not point to the sending IP. - gsmtp") },
	{ "ptr-missing", R("550 5.7.25 The IP address sending this message "
	    "does not have a PTR record setup. - gsmtp") },
	{ "unauthenticated", R("550 5.7.26 This mail has been blocked because "
	    "the sender is unauthenticated. Gmail requires all senders to "
	    "authenticate with either SPF or DKIM. - gsmtp") },
	{ "unauthenticated", R("421 4.7.26 This email has been rate limited "
	    "because it is unauthenticated. - gsmtp") },
	{ "spf-reject", R("550 5.7.26 The MAIL FROM domain [example.test] has "
	    "an SPF record with a hard fail policy (-all) but it fails to pass "
	    "SPF checks with the ip: [192.0.2.10]. - gsmtp") },
	{ "spf-reject", R("550 5.7.27 This message does not pass SPF "
	    "authentication checks. - gsmtp") },
	{ "spf-suspicious", R("550 5.7.24 The SPF record of the sending domain "
	    "has one or more suspicious entries. - gsmtp") },
	{ "dmarc-reject", R("550 5.7.26 Unauthenticated email from example.test "
	    "is not accepted due to domain's DMARC policy. - gsmtp") },
	{ "dmarc-reject", R("451 4.7.26 Unauthenticated email from example.test "
	    "is not accepted due to domain's DMARC policy, but temporary DNS "
	    "failures prevented evaluation. - gsmtp") },
	{ "dmarc-reject", R("550 5.7.509 Access denied, sending domain "
	    "example.test does not pass DMARC verification and has a DMARC "
	    "policy of reject.") },
	{ "dkim-required", R("550 5.7.30 This message does not pass "
	    "DKIM authentication checks. - gsmtp") },
	{ "dmarc-record-missing", R("421 4.7.40 This message is not "
	    "authenticated with DMARC. - gsmtp") },
	{ "bulk-tls-required", R("421 4.7.29 Your email has been rate limited "
	    "because you're not using a TLS connection. - gsmtp") },
	{ "bulk-sender-requirements", R("550 5.7.1 Gmail requires all bulk "
	    "email senders to authenticate. - gsmtp") },
	{ "account-suspended", R("550 5.7.0 Email relay denied 192.0.2.1. The "
	    "sending email account has been temporarily suspended due to abuse. "
	    "- gsmtp") },
	{ "recipient-invalid", R("553 5.1.3 The recipient address <a b@x.test> "
	    "is not a valid RFC 5321 address. - gsmtp") },
	{ "mailbox-disabled", R("550 5.2.1 The email account that you tried to "
	    "reach is inactive. https://support.google.com/mail/?p=DisabledUser "
	    "- gsmtp") },
	{ "too-many-recipients", R("452 4.5.3 Your message has too many "
	    "recipients. - gsmtp") },
	{ "too-many-recipients", R("451 4.3.0 Multiple destination domains per "
	    "transaction is unsupported. Please try again. - gsmtp") },
	{ "recipient-policy", R("550 5.7.1 The user or domain that you are "
	    "sending to (or from) has a policy that prohibits the email that you "
	    "sent. - gsmtp") },
	{ "helo-invalid", R("501 5.5.4 Empty HELO/EHLO argument not allowed, "
	    "closing connection. - gsmtp") },
	{ "direct-delivery-refused", R("550 5.7.1 The IP you're using to send "
	    "email is not authorized to send email directly to our servers. "
	    "Please use the SMTP relay at your service provider instead. - "
	    "gsmtp") },
	/* seed 003: SMART_HOST smtp:[host]:587, sendmail tries a host "587" */
	{ "smarthost-port-ignored", { .stat = "Deferred", .dsn = "5.1.2",
	    .relay_host = "587", .flags = CAUSE_F_FAILED } },
	{ "account-domain-local", { .reply = "550 5.1.1 User unknown",
	    .stat = "User unknown", .dsn = "5.1.1",
	    .flags = CAUSE_F_LOCAL_DOMAIN | CAUSE_F_FAILED } },
	{ "account-domain-local", { .stat = "Sent",
	    .flags = CAUSE_F_LOCAL_DOMAIN } },
	/* a failure line of an older sendmail, without reply= and text */
	{ "unexplained", { .stat = "Deferred", .dsn = "4.0.0",
	    .flags = CAUSE_F_FAILED } },
	{ NULL, { .stat = "Deferred", .dsn = "4.0.0" } },
	{ "message-too-large", R("552 5.3.4 Your message exceeded Google's "
	    "message size limits. - gsmtp") },
	{ "message-too-large", R("552 5.2.3 Message size exceeds fixed maximum "
	    "message size") },
	{ "recipient-domain-unknown", R("553 5.1.2 We weren't able to find the "
	    "recipient domain. Please check for any spelling errors. - gsmtp") },
	{ "recipient-unknown", R("550 5.1.1 The email account that you tried "
	    "to reach does not exist. - gsmtp") },
	{ "recipient-unknown", S("User unknown", "5.1.1") },
	{ "mailbox-full", R("452 4.2.2 The recipient's inbox is out of storage "
	    "space. - gsmtp") },
	{ "greylisted", R("451 4.7.1 Greylisting in action, please come back "
	    "later") },
	{ "sender-invalid", R("553 5.1.7 The sender address <root> is not a "
	    "valid RFC 5321 address. - gsmtp") },
	{ "sender-domain-unknown", R("553 5.1.8 <alice@nowhere.invalid>... "
	    "Domain of sender address alice@nowhere.invalid does not exist") },
	{ "sender-domain-unknown", S("Deferred: 451 4.1.8 Domain of sender "
	    "address alice@box resolves to nothing", "4.1.8") },
	{ "header-invalid", R("550 5.7.1 Messages missing a valid address in "
	    "the From: header, or having no From: header, are not accepted. - "
	    "gsmtp") },
	{ "header-invalid", R("550 5.7.1 This message is not RFC 5322 "
	    "compliant. There are multiple addresses in the From: header. - "
	    "gsmtp") },
	{ "content-rejected", R("550 5.7.1 Our system has detected that this "
	    "message is likely unsolicited mail. - gsmtp") },
	{ "content-rejected", R("554 5.7.1 Service unavailable; Client host "
	    "[192.0.2.10] blocked using zen.spamhaus.org") },
	{ "connect-timeout-port25", { .stat = "Deferred: Connection timed out "
	    "with smtp.gmail.com.", .dsn = "4.0.0", .port = 25,
	    .relay_host = "smtp.gmail.com.", .flags = CAUSE_F_PORT_DEAD } },
	/* port 25 but no evidence that it is dead: not "blocked" */
	{ "connect-timeout", { .stat = "Deferred: Connection timed out "
	    "with smtp.gmail.com.", .dsn = "4.0.0", .port = 25,
	    .relay_host = "smtp.gmail.com." } },
	{ "destination-timeout", { .stat = "Deferred: Connection timed out "
	    "with mx.remote.test.", .dsn = "4.4.1", .port = 25,
	    .relay_host = "mx.remote.test.", .flags = CAUSE_F_OTHERS_OK } },
	/* the cached status wins over the evidence of a port */
	{ "host-status-cached", { .stat = "Deferred: Connection timed out "
	    "with smtp.gmail.com.", .dsn = "4.0.0", .port = 25,
	    .flags = CAUSE_F_CACHED | CAUSE_F_PORT_DEAD } },
	{ "connect-timeout", { .stat = "Deferred: Connection timed out with "
	    "smtp.gmail.com.", .dsn = "4.0.0", .port = 587,
	    .relay_host = "smtp.gmail.com." } },
	{ "connect-timeout", S("Deferred: Connection timed out with "
	    "somewhereelse.com.", "4.0.0") },
	{ "local-mta-down", { .stat = "Deferred: Connection refused by "
	    "[127.0.0.1]", .dsn = "4.0.0", .relay_host = "[127.0.0.1]" } },
	{ "connect-refused", { .stat = "Deferred: Connection refused by "
	    "smtp.gmail.com.", .dsn = "4.0.0", .relay_host = "smtp.gmail.com." } },
	{ "host-unknown", S("Host unknown (Name server: smtp.gmial.com.: host "
	    "not found)", "5.1.2") },
	{ "dns-temporary", S("Deferred: Name server: smtp.gmail.com.: host name "
	    "lookup failure", "4.4.3") },
	{ "network-unreachable", S("Deferred: smtp.gmail.com.: Network is "
	    "unreachable", "4.0.0") },
	{ "network-unreachable", S("Deferred: No route to host", "4.0.0") },
	{ "connection-lost", S("Deferred: Connection reset by smtp.gmail.com.",
	    "4.0.0") },
	{ "tls-handshake", { .stat = "Deferred: 403 4.7.0 TLS handshake "
	    "failed.", .dsn = "4.7.0", .phase = CAUSE_PHASE_TLS,
	    .extra = "STARTTLS=client, error: connect failed=-1, "
	    "SSL_error=1, errno=0, retry=-1" } },
	/* 454 4.7.0 is also a temporary AUTH failure: the text or the step
	 * (the doctor's STARTTLS probe) tells TLS apart */
	{ "tls-handshake", R("454 4.7.0 TLS not available due to temporary "
	    "reason") },
	{ "tls-handshake", { .reply = "454 4.7.0 Try again later",
	    .phase = CAUSE_PHASE_TLS } },
	{ "auth-temporary", { .reply = "454 4.7.0 Try again later",
	    .phase = CAUSE_PHASE_AUTH } },
	{ "tls-verify", S("Deferred: 403 4.7.0 Server not authenticated.",
	    "4.7.0") },
	{ "tls-verify", { .stat = "Deferred", .phase = CAUSE_PHASE_TLS,
	    .extra = "STARTTLS=client, relay=smtp.gmail.com., version=TLSv1.3, "
	    "verify=FAIL, cipher=TLS_AES_256_GCM_SHA384, bits=256/256" } },
	{ "starttls-not-offered", { .phase = CAUSE_PHASE_TLS,
	    .relay_host = "relay.example.net", .port = 587,
	    .extra = "relay.example.net does not offer STARTTLS" } },
	{ "implicit-tls-port", { .phase = CAUSE_PHASE_CONNECT, .port = 465,
	    .extra = "port 465 speaks implicit TLS (SMTPS)" } },
	{ "implicit-tls-port", { .stat = "Deferred: Connection timed out with "
	    "smtp.gmail.com.", .dsn = "4.4.1", .port = 465 } },
	{ "relay-not-smtp", { .phase = CAUSE_PHASE_CONNECT,
	    .extra = "not an SMTP greeting: \"HTTP/1.1 400 Bad Request\"" } },
	{ "smtp-protocol-violation", R("523 5.7.10 SMTP protocol violation, no "
	    "commands allowed to pipeline after STARTTLS. - gsmtp") },
	{ "mail-loops", S("Local configuration error", "5.3.5") },
	{ "mail-loops", { .stat = "Deferred: 553 5.3.5 system config error",
	    .extra = "SYSERR(root): smarthost.test. config error: mail loops "
	    "back to me (MX problem?)" } },
	{ "mail-loops", S("554 5.4.6 Too many hops", "5.4.6") },
	{ "host-status-cached", { .stat = "Deferred: 451 4.3.0 mailbox "
	    "temporarily unavailable", .dsn = "4.3.0",
	    .flags = CAUSE_F_CACHED } },
	{ "host-status-cached", { .stat = "Deferred: Connection timed out with "
	    "smtp.gmail.com.", .dsn = "4.0.0", .flags = CAUSE_F_CACHED } },
	{ "client-timeout", S("timeout waiting for input during message "
	    "collect", NULL) },
	{ "client-timeout", { .stat = "timeout waiting for input during "
	    "message collect", .extra = "Milter (filter1): to error state" } },
	{ "milter-error", S("Deferred: 451 4.3.2 Please try again later",
	    "4.3.2") },
	{ "milter-error", { .extra = "Milter (relaymilter): to error state" } },
	{ "milter-reject", { .extra = "Milter: data, reject=554 5.7.1 Virus "
	    "Worm.Mytob.HX found in mail - rejected" } },
	{ "queue-lifetime", { .stat = "Deferred: Connection timed out with "
	    "smtp.gmail.com.", .extra = "Cannot send message for 5 days" } },
	{ "queue-lifetime", S("Deferred", "4.4.7") },
	{ "delay-warning", { .extra = "Warning: could not send message for past "
	    "4 hours" } },
	{ "disk-space", R("452 4.4.5 Insufficient disk space; try again "
	    "later") },
	{ "local-delivery-error", S("unknown mailer error 1", "5.3.0") },
	/* relaymilter-doctor queue: an hf file's reason, a Qf file */
	{ "quarantined", { .phase = CAUSE_PHASE_LOCAL,
	    .extra = "quarantine=held for review by the postmaster" } },
	{ "queue-file-lost", { .phase = CAUSE_PHASE_LOCAL,
	    .extra = "lost queue file (Qf)" } },
	/* ... and the reason of mail the relay budget holds */
	{ "relay-budget-exceeded", { .extra = "relaymilter relay budget: "
	    "relay:smtp.gmail.test msgs/min 4/3" } },
	/* the markers mean nothing in a reply */
	{ NULL, R("250 2.0.0 OK quarantine=none") },
	{ "remote-temporary", R("451 4.3.0 mailbox temporarily unavailable") },
	{ "remote-temporary", S("Deferred: 451 4.3.0 Temporary local problem "
	    "- please try later", "4.3.0") },
	{ "recipient-unknown", S("Deferred: 450 <u3@h4.com>: User unknown in "
	    "local recipient table", "4.2.0") },
	{ "remote-permanent", R("554 5.0.0 Transaction failed") },
	{ "spf-fail-predicted", POL("spf=fail") },
	{ "spf-softfail-predicted", POL("spf=softfail") },
	{ "spf-permerror-predicted", POL("spf=permerror") },
	{ "spf-temperror", POL("spf=temperror") },
	{ "align-fail-predicted", POL("align=fail") },
	{ "relaymilter-tempfail", POL("result=tempfail") },
	{ "relaymilter-failopen", POL("result=failopen") },
	{ "relay-budget", POL("budget=warn") },
	{ "relay-budget-exceeded", POL("budget=over") },
	{ "relaymilter-reject", POL("result=reject") },
	/* things that must not match */
	{ NULL, R("250 2.0.0 OK 1472643570 n69sm64610909pfa.77 - gsmtp") },
	{ NULL, S("Sent (6AL7guhV030824 Message accepted for delivery)",
	    "2.0.0") },
	{ NULL, POL("spf=pass") },
	{ NULL, POL("align=pass") },
	{ NULL, { .stat = "" } },
};

#define NVECS	(sizeof(vecs) / sizeof(vecs[0]))

static void
test_vectors(void **state)
{
	const struct cause *c;
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < NVECS; i++) {
		c = cause_classify(&vecs[i].in);
		if (vecs[i].want == NULL ? c != NULL :
		    c == NULL || strcmp(c->id, vecs[i].want) != 0) {
			print_error("vector %zu: want %s, got %s (reply=%s "
			    "stat=%s)\n", i, vecs[i].want ? vecs[i].want : "none",
			    c ? c->id : "none",
			    vecs[i].in.reply ? vecs[i].in.reply : "-",
			    vecs[i].in.stat ? vecs[i].in.stat : "-");
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* Fails when a cause is added to the table without a vector above. */
static void
test_every_cause_has_a_vector(void **state)
{
	size_t i, j, missing = 0;
	const struct cause *c;

	(void)state;
	for (i = 0; i < cause_count(); i++) {
		c = cause_at(i);
		for (j = 0; j < NVECS; j++)
			if (vecs[j].want && strcmp(vecs[j].want, c->id) == 0)
				break;
		if (j == NVECS) {
			print_error("cause %s has no test vector\n", c->id);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
}

static bool
valid_id(const char *s)
{
	if (*s < 'a' || *s > 'z')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-') || (*s == '-' && (s[1] == '-' || s[1] == '\0')))
			return false;
	return true;
}

static void
test_table_shape(void **state)
{
	const struct cause *c, *d;
	size_t i, j;

	(void)state;
	assert_true(cause_count() >= 30);
	for (i = 0; i < cause_count(); i++) {
		c = cause_at(i);
		assert_non_null(c);
		assert_true(valid_id(c->id));
		assert_non_null(c->summary);
		assert_non_null(c->fix);
		assert_true(strlen(c->summary) > 10);
		assert_true(strlen(c->fix) > 10);
		assert_null(strchr(c->summary, '\n'));
		assert_null(strchr(c->fix, '\n'));
		d = cause_by_id(c->id);
		assert_ptr_equal(c, d);
		for (j = i + 1; j < cause_count(); j++)
			assert_string_not_equal(c->id, cause_at(j)->id);
	}
	assert_null(cause_at(cause_count()));
	assert_null(cause_by_id("no-such-cause"));
	assert_null(cause_by_id(NULL));
	assert_null(cause_classify(NULL));
}

/* The ids other tools (relaymilter-doctor, alert rules) rely on. */
static void
test_stable_ids(void **state)
{
	static const char *const ids[] = {
		"auth-app-password", "auth-bad-credentials", "auth-required",
		"starttls-required", "auth-rate-limit", "relay-denied",
		"quota-user-daily", "rate-limit", "connect-timeout-port25",
		"connect-timeout", "connect-refused", "host-unknown",
		"tls-handshake", "tls-verify", "sender-domain-unknown",
		"mail-loops", "host-status-cached", "milter-error",
		"queue-lifetime", "spf-fail-predicted", "align-fail-predicted",
		"dmarc-reject", "sendas-denied", "basic-auth-disabled",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		if (cause_by_id(ids[i]) == NULL)
			print_error("missing id %s\n", ids[i]);
		assert_non_null(cause_by_id(ids[i]));
	}
}

static void
test_policy_isolated(void **state)
{
	struct cause_input in = { .reply = "550 5.7.1 rejected: spf=fail "
	    "align=fail result=reject" };
	const struct cause *c;

	(void)state;
	/* a remote reply mentioning spf=fail is not our own prediction */
	c = cause_classify(&in);
	assert_non_null(c);
	assert_int_not_equal(c->phase, CAUSE_PHASE_POLICY);
	/* and in the policy phase, remote-reply rules are not considered */
	in.phase = CAUSE_PHASE_POLICY;
	in.extra = "spf=fail";
	c = cause_classify(&in);
	assert_non_null(c);
	assert_string_equal(c->id, "spf-fail-predicted");
}

static void
test_severity_names(void **state)
{
	(void)state;
	assert_string_equal(cause_severity_name(CAUSE_INFO), "info");
	assert_string_equal(cause_severity_name(CAUSE_WARN), "warn");
	assert_string_equal(cause_severity_name(CAUSE_ERROR), "error");
	assert_string_equal(cause_severity_name((enum cause_severity)42),
	    "unknown");
}

/* Replies taken apart robustly: odd codes never crash or mis-anchor. */
static void
test_odd_replies(void **state)
{
	static const char *const odd[] = {
		"", "5", "55", "550", "550-", "550 5", "550 5.", "550 5.7",
		"550 5.7.", "550 5.7.1", "550 5.7.1.", "550 5.7.1234 x",
		"999 9.9.9 x", "5.7.1", "550 5..1 x", "abc 5.7.1",
		"550 5.7.26", "550-5.7.26 multi-line first",
	};
	struct cause_input in = { 0 };
	const struct cause *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		in.reply = odd[i];
		in.dsn = odd[i];
		(void)cause_classify(&in);
	}
	in.dsn = NULL;
	in.reply = "550 5.7.1.";
	c = cause_classify(&in);
	assert_non_null(c);
	assert_string_equal(c->id, "remote-permanent");
	in.reply = "550-5.7.26 Unauthenticated email from x.test is not "
	    "accepted due to domain's DMARC policy.";
	c = cause_classify(&in);
	assert_non_null(c);
	assert_string_equal(c->id, "dmarc-reject");
	in.reply = "999 9.9.9 x";
	assert_null(cause_classify(&in));
}

/* Every reply of Google's table (tests/unit/data/gmail-replies.tsv) gets
 * the cause named there, as Gmail sends it (with " - gsmtp") and as
 * sendmail 8.14 logs it without reply= (in stat=, after "Deferred: "). */
static void
test_gmail_table(void **state)
{
	FILE *fp;
	char line[2048], reply[2048], stat[2100], *f[4], *p;
	struct cause_input in;
	const struct cause *c;
	size_t rows = 0, bad = 0, i;

	(void)state;
	fp = fopen("tests/unit/data/gmail-replies.tsv", "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		for (i = 0, p = line; i < 4 && p != NULL; i++) {
			f[i] = p;
			if ((p = strchr(p, '\t')) != NULL)
				*p++ = '\0';
		}
		assert_int_equal(i, 4);
		snprintf(reply, sizeof(reply), "%s %s %s - gsmtp", f[0], f[1],
		    f[2]);
		snprintf(stat, sizeof(stat), "%s%s", f[0][0] == '4' ?
		    "Deferred: " : "", reply);
		memset(&in, 0, sizeof(in));
		in.reply = reply;
		c = cause_classify(&in);
		if (c == NULL || strcmp(c->id, f[3]) != 0) {
			print_error("%s %s %.60s: want %s, got %s\n", f[0], f[1],
			    f[2], f[3], c ? c->id : "none");
			bad++;
		}
		memset(&in, 0, sizeof(in));
		in.stat = stat;
		in.dsn = f[1];
		c = cause_classify(&in);
		if (c == NULL || strcmp(c->id, f[3]) != 0) {
			print_error("stat= %s %s %.60s: want %s, got %s\n", f[0],
			    f[1], f[2], f[3], c ? c->id : "none");
			bad++;
		}
		rows++;
	}
	fclose(fp);
	assert_true(rows >= 120);
	assert_int_equal(bad, 0);
}

/* The fix a cause gives depends on the set-up when it has variants. */
static void
test_fix_variants(void **state)
{
	const struct cause *c = cause_by_id("connect-timeout-port25");
	const struct cause *h = cause_by_id("host-status-cached");

	(void)state;
	assert_non_null(c);
	assert_non_null(h);
	assert_ptr_equal(cause_fix(c, 0), c->fix);
	assert_non_null(strstr(cause_fix(c, CAUSE_SETUP_SMARTHOST),
	    "RELAY_MAILER_ARGS"));
	assert_non_null(strstr(cause_fix(c, CAUSE_SETUP_DIRECT),
	    "SMART_HOST"));
	assert_non_null(strstr(cause_fix(c, CAUSE_SETUP_DIRECT), "authinfo"));
	assert_null(strstr(cause_fix(c, CAUSE_SETUP_DIRECT),
	    "ISP probably blocks port 25"));
	assert_non_null(strstr(cause_fix(h, CAUSE_SETUP_HOSTSTAT),
	    "purgestat"));
	assert_null(strstr(cause_fix(h, CAUSE_SETUP_NO_HOSTSTAT),
	    "purgestat"));
	assert_non_null(strstr(cause_fix(h, CAUSE_SETUP_NO_HOSTSTAT),
	    "-OTimeout.hoststatus=0m"));
	assert_ptr_equal(cause_fix(cause_by_id("rate-limit"),
	    CAUSE_SETUP_DIRECT), cause_by_id("rate-limit")->fix);
	assert_null(cause_fix(NULL, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_every_cause_has_a_vector),
		cmocka_unit_test(test_table_shape),
		cmocka_unit_test(test_stable_ids),
		cmocka_unit_test(test_policy_isolated),
		cmocka_unit_test(test_severity_names),
		cmocka_unit_test(test_odd_replies),
		cmocka_unit_test(test_gmail_table),
		cmocka_unit_test(test_fix_variants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
