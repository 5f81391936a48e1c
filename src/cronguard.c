/* cronguard: run a cron job once, on the right host, at a per-host time, and record it.
 *
 * main() is the list of steps from the contract (DESIGN.md, "One run, step by step"):
 * configure, splay, active node, lock, run, record, exit. Each step is a module that returns
 * errors; only this file turns outcomes into exit statuses. doc/HACKING has the module map,
 * the conventions (errors, gate results, option rows) and how to add an option or a sink. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "diag.h"
#include "duration.h"
#include "etcd.h"
#include "http.h"
#include "lint.h"
#include "lock.h"
#include "options.h"
#include "preflight.h"
#include "record.h"
#include "report.h"
#include "run.h"
#include "shword.h"
#include "splay.h"
#include "state.h"
#include "status.h"
#include "vip.h"

/* The exit-status language shared with timeout(1), env(1) and nohup(1). */
enum {
	EXIT_TIMEDOUT = 124,
	EXIT_CANCELED = 125,
	EXIT_CANNOT_INVOKE = 126,
	EXIT_ENOENT = 127,
};

/* Everything one invocation learns on its way, shared by the steps below. In the order a
 * run writes it: all a successful run touches comes first, in main's static, whose pages
 * stay resident while the command runs; the buffers a run seldom fills (the lock path beyond
 * its first bytes, the start report's copy of the options, a reason) come last, so the page
 * behind them is never touched by a run without them. */
struct job {
	struct options opts;
	sigset_t forward;         /* passed on to the command's process group */
	sigset_t blocked;         /* forward + SIGCHLD: only ever taken synchronously */
	uint64_t delay_ms;
	int lock_fd;
	struct vip_gate vip;      /* the gates' inputs, from the options */
	struct etcd_spec etcd;
	int vip_watch_fd;         /* --vip-watch: address-change notifications, or -1 */
	struct etcd_gate *gate;   /* --cluster-lock / --once-per: what etcd gave us, or NULL */
	int state_refused;        /* preflight refused the state dir: no local record */
	int state_saved;          /* this run's state file was written */
	struct state_early early; /* the state as read while the command ran */
	struct sink_syslog syslog; /* the syslog sink's socket, opened while the command ran */
	int64_t invoked_us;       /* realtime at the start, before the splay: --once-per's slot */
	int64_t start_mono_us;
	struct run_record rec;
	struct run_result res;
	pthread_t start_thread;
	int start_running;
	int64_t ended_mono_us;     /* when the command's group was gone */
	struct report_session report;   /* what the start report learnt, for the final one */
	char err[1024];            /* every step's error buffer: its first byte is always written */
	char lock_path[4096];
	struct options start_opts; /* the start report's copy, with half the report deadline */
	char reason[512];
};

/* Signals are never handled asynchronously: they stay blocked and are taken by
 * clock_wait_until (the splay, the lock waits, etcd's pauses, the state directory's lock)
 * or a signalfd (while the command runs). */
static void block_signals(struct job *j)
{
	static const int fwd[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	/* Whatever else would end cronguard by default is blocked (and dropped while the
	 * command runs): cronguard never ends without its record. The fault signals too, as
	 * sent by kill(1): a real fault of ours is delivered whatever the mask. SIGTTIN and
	 * SIGTTOU: run by hand, the command's group may hold the terminal. */
	static const int drop[] = { SIGALRM, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSTKFLT,
				    SIGXCPU, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS,
				    SIGABRT, SIGTTIN, SIGTTOU };

	sigemptyset(&j->forward);
	for (size_t i = 0; i < sizeof fwd / sizeof *fwd; i++)
		sigaddset(&j->forward, fwd[i]);
	j->blocked = j->forward;
	sigaddset(&j->blocked, SIGCHLD);
	for (size_t i = 0; i < sizeof drop / sizeof *drop; i++)
		sigaddset(&j->blocked, drop[i]);
	for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
		sigaddset(&j->blocked, s);
	sigprocmask(SIG_BLOCK, &j->blocked, NULL);
	/* A closed stdout must give us EPIPE, not kill us before the run is recorded; a file
	 * size limit (ulimit -f) must give us EFBIG on the held output, not SIGXFSZ. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
}

/* Step 1c: decisions that need no waiting, made before anything sleeps. */
static int plan(struct job *j)
{
	struct options *o = &j->opts;

	unsigned slot, slots;

	if (o->random_splay)
		j->delay_ms = splay_random_ms(o->splay_ms);
	else if (o->splay_slot && splay_slot_parse(o->splay_slot, &slot, &slots) == 0)
		j->delay_ms = splay_slot_ms(slot, slots, o->name, o->splay_seed, o->splay_ms);
	else
		j->delay_ms = splay_delay_ms(o->host, o->name, o->splay_seed, o->splay_ms);
	j->vip = (struct vip_gate){ .addrs = o->vip_addrs, .names = o->vips.v, .n = o->vips.n,
				    .dev = o->vip_dev, .standby = o->standby, .watch = o->vip_watch };
	j->etcd = (struct etcd_spec){
		.endpoints = o->etcd.v, .nendpoints = o->etcd.n, .prefix = o->etcd_prefix,
		.ttl_ms = o->etcd_ttl_ms, .ca_file = o->etcd_ca_file, .cert = o->etcd_cert,
		.key = o->etcd_key, .user = o->etcd_user, .password_file = o->etcd_password_file,
		.fail_open = o->etcd_fail_open, .job = o->name, .host = o->host,
		.cluster_lock = o->cluster_lock, .once_per_ms = o->once_per_ms,
		.lock_wait_ms = o->lock_wait_ms, .splay_ms = o->splay_ms,
	};
	if (o->lock) {
		if (o->lock_file)
			snprintf(j->lock_path, sizeof j->lock_path, "%s", o->lock_file);
		else if (lock_default_path(o->name, !o->dry_run, j->lock_path, sizeof j->lock_path,
					   j->err, sizeof j->err) < 0)
			return -1;
	}
	return 0;
}

/* Sinks are shown by origin only: a ping URL's path is the check's key, a secret. */
static void print_dry_run_sinks(const struct options *o)
{
	const struct {
		const char *name, *url;
	} sinks[] = { { "ping", o->ping }, { "pushgateway", o->pushgateway },
		      { "influx", o->influx }, { "webhook", o->webhook } };
	char origin[256];

	for (size_t i = 0; i < sizeof sinks / sizeof *sinks; i++) {
		if (!sinks[i].url)
			continue;
		http_origin(sinks[i].url, origin, sizeof origin);
		printf("sink=%s %s\n", sinks[i].name, origin);
	}
	if (o->textfile_dir)
		printf("sink=textfile %s/cronguard_%s.prom\n", o->textfile_dir, o->name);
	if (report_wanted(o))
		printf("report_timeout_ms=%llu\n", (unsigned long long)o->report_timeout_ms);
}

/* The command as one line a person can paste into a shell: every word quoted as needed. */
static void print_argv(char *const *argv)
{
	fputs("command=", stdout);
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			putchar(' ');
		shword_quote(stdout, argv[i]);
	}
	putchar('\n');
}

static int print_dry_run(const struct job *j)
{
	const struct options *o = &j->opts;
	int rc;

	printf("job=%s\nhost=%s\n", o->name, o->host);
	printf("config=%s\n", o->config ? o->config : "none");
	printf("splay=%s\nsplay_ms=%llu\n", o->splay_ms == 0 ? "none" : o->random_splay ? "random"
					     : o->splay_slot ? "slot" : "hash",
	       (unsigned long long)j->delay_ms);
	/* Each gate describes itself; a dry run fails where the real one would. */
	rc = vip_gate_describe(&j->vip, stdout);
	if (o->etcd.n && etcd_gate_describe(&j->etcd, j->invoked_us, stdout) < 0)
		rc = -1;
	lock_gate_describe(o->lock ? j->lock_path : NULL, o->lock_wait_ms, stdout);
	printf("timeout_ms=%llu\nkill_after_ms=%llu\n", (unsigned long long)o->timeout_ms,
	       (unsigned long long)o->kill_after_ms);
	printf("output=%s\n", o->quiet ? "hold" : "pass");
	printf("state_file=%s/%s.json\n", o->state_dir, o->name);
	print_dry_run_sinks(o);
	printf("syslog=%s\n", o->no_syslog ? "no" : "yes");
	for (size_t i = 0; i < o->nlabels; i++)
		printf("label=%s=%s\n", o->labels[i].key, o->labels[i].value);
	if (o->command)
		printf("shell=%s -o pipefail -c\ncommand=%s\n", OPTIONS_SHELL, o->command);
	else
		print_argv(o->argv);
	return rc;
}

/* Step 2: the splay. Returns 0, or the signal that ended the sleep. */
static int splay_sleep(struct job *j)
{
	if (j->delay_ms == 0)
		return 0;
	diag_verbose("sleeping %llu ms (splay)", (unsigned long long)j->delay_ms);
	return clock_wait_until(&j->forward, clock_mono_us() + (int64_t)j->delay_ms * 1000);
}

/* --vip-watch: while the command runs, an address change re-asks the kernel. */
static int vip_still_held(void *ctx, char *reason, size_t len)
{
	struct job *j = ctx;
	int held = 0;

	if (vip_watch_ready(j->vip_watch_fd, j->opts.vip_addrs, j->opts.vips.n, j->opts.vip_dev,
			    &held) < 0) {
		snprintf(reason, len, "cannot re-check the VIP during the run: %s", strerror(errno));
		return 1;
	}
	if (!held) {
		snprintf(reason, len, "the VIP left this host during the run (failover)");
		return 1;
	}
	return 0;
}

/* Step 6: the start report (a healthchecks /start ping) goes out beside the command, in a
 * thread of its own started once the command runs: a slow or dead endpoint must never hold
 * the command (and the lock, and the lease) up. It gets half of --report-timeout, the end
 * report what is left of the whole after waiting for it, so that all the reporting of a run
 * stays within one --report-timeout. */
static void *start_report_thread(void *arg)
{
	struct job *j = arg;

	report_start(&j->start_opts, &j->rec, &j->report);
	return NULL;
}

static void start_report_begin(void *ctx)
{
	struct job *j = ctx;

	j->start_opts = j->opts;
	j->start_opts.report_timeout_ms = j->opts.report_timeout_ms / 2;
	if (pthread_create(&j->start_thread, NULL, start_report_thread, j) == 0)
		j->start_running = 1;
	else
		report_start(&j->start_opts, &j->rec, &j->report);
}

/* Steps 6 and 8a, beside the command once it runs: the start report goes out, the state file
 * is read and the syslog socket opened, so that what is left of the record after the command
 * is the writing. */
static void while_running(void *ctx)
{
	struct job *j = ctx;

	if (j->opts.ping)
		start_report_begin(j);
	if (!j->state_refused)
		state_prefetch(&j->early, j->opts.state_dir, j->opts.name);
	report_local_begin(&j->opts, &j->syslog);
}

/* Waits for the start report, which must be out before the end report; returns the end
 * report's share of the deadline. */
static uint64_t start_report_end(struct job *j)
{
	uint64_t waited_ms;

	if (!j->start_running)
		return j->opts.report_timeout_ms;
	pthread_join(j->start_thread, NULL);
	j->start_running = 0;
	waited_ms = (uint64_t)(clock_mono_us() - j->ended_mono_us) / 1000;
	return waited_ms < j->opts.report_timeout_ms ? j->opts.report_timeout_ms - waited_ms : 0;
}

/* Step 7: run the command and read its outcome as a run state and an exit status. */
static enum run_state run(struct job *j)
{
	const struct options *o = &j->opts;
	struct run_spec spec = {
		.argv = o->argv,
		.timeout_ms = o->timeout_ms,
		.kill_after_ms = o->kill_after_ms,
		/* The output is copied only when someone wants it: --quiet holds it, and the ping
		 * and webhook sinks carry its tail; otherwise the command writes to ours. */
		.output = o->quiet ? RUN_OUTPUT_HOLD
				   : (o->ping || o->webhook) ? RUN_OUTPUT_TEE : RUN_OUTPUT_PASS,
		.forward = &j->forward,
		.blocked = &j->blocked,
		.started = while_running,
		.started_ctx = j,
		/* A keeper only where there is a lock for the job to outlive: its fork is the
		 * dearest part of a short run. */
		.keeper = j->lock_fd >= 0 || j->gate != NULL,
		.keeper_hold_fd = j->lock_fd,
	};
	struct run_watch watches[2];
	struct run_result *r = &j->res;
	char token[24] = "";
	int st, rc;

	spec.watches = watches;
	if (j->vip_watch_fd >= 0)
		watches[spec.nwatches++] = (struct run_watch){ .fd = j->vip_watch_fd,
							      .check = vip_still_held, .ctx = j };
	if (etcd_gate_watch(j->gate, &watches[spec.nwatches]) < 0) {
		snprintf(j->reason, sizeof j->reason, "cannot keep the cluster lock's lease: %s; "
			 "command not run", strerror(errno));
		j->rec.exit_code = EXIT_CANCELED;
		return RUN_ERROR;
	}
	if (watches[spec.nwatches].check)
		spec.nwatches++;
	/* No CRONGUARD_* for the command (a nested cronguard would take our settings); its
	 * run's identity under the CG_ prefix instead, which cronguard never reads, and under
	 * a cluster gate the revision that created the lock or claim, a fencing token. */
	if (etcd_gate_revision(j->gate) > 0)
		snprintf(token, sizeof token, "%lld", (long long)etcd_gate_revision(j->gate));
	spec.envp = run_env_new(environ, j->rec.run_id, o->name, token[0] ? token : NULL);
	rc = spec.envp ? run_command(&spec, r) : -1;
	j->ended_mono_us = clock_mono_us();
	free(spec.envp);
	if (rc < 0) {
		snprintf(j->reason, sizeof j->reason, "cannot start the command: %s", strerror(errno));
		j->rec.exit_code = EXIT_CANCELED;
		return RUN_ERROR;
	}
	if (r->unstarted_stop) {
		snprintf(j->reason, sizeof j->reason, "%.200s before the command started; command "
			 "not run", r->reason);
		j->rec.exit_code = EXIT_CANCELED;
		return RUN_ERROR;
	}
	if (r->unstarted_signal) {
		snprintf(j->reason, sizeof j->reason, "%s before the command started; command not run",
			 strsignal(r->unstarted_signal));
		j->rec.signal = r->unstarted_signal;
		j->rec.exit_code = 128 + r->unstarted_signal;
		return RUN_ERROR;
	}
	j->rec.maxrss_kb = r->maxrss_kb;
	/* Said on stderr, unless stderr is what stalled (the report keeps the tail anyway). */
	if (r->dropped[0] && !r->dropped[1])
		diag_error("stdout was not read: %llu bytes of the command's output dropped",
			   (unsigned long long)r->dropped[0]);
	st = r->status;
	if (r->exec_errno) {
		snprintf(j->reason, sizeof j->reason, "cannot execute %s: %s", o->argv[0],
			 strerror(r->exec_errno));
		j->rec.exit_code = r->exec_errno == ENOENT ? EXIT_ENOENT : EXIT_CANNOT_INVOKE;
		return RUN_EXEC_FAILED;
	}
	if (WIFSIGNALED(st))
		j->rec.signal = WTERMSIG(st);
	if (r->timed_out) {
		snprintf(j->reason, sizeof j->reason, "ran past --timeout");
		j->rec.exit_code = EXIT_TIMEDOUT;
		return RUN_TIMEOUT;
	}
	if (WIFSIGNALED(st)) {
		j->rec.exit_code = 128 + WTERMSIG(st);
		if (r->stopped)
			snprintf(j->reason, sizeof j->reason, "%s", r->reason);
		return r->stopped ? RUN_FAILURE : RUN_SIGNALED;
	}
	j->rec.exit_code = WEXITSTATUS(st);
	if (r->stopped) {
		/* A stopped run failed even if the command exited cleanly on our TERM: say so. */
		snprintf(j->reason, sizeof j->reason, "%s", r->reason);
		if (options_success_exit(o, j->rec.exit_code))
			j->rec.exit_code = 128 + SIGTERM;
		return RUN_FAILURE;
	}
	return options_success_exit(o, j->rec.exit_code) ? RUN_SUCCESS : RUN_FAILURE;
}

/* --min-duration: a success that came too soon (a pipeline without pipefail, a backup of an
 * empty directory) is recorded as a failure; the exit status stays the command's. */
static enum run_state too_short(struct job *j)
{
	int64_t us = clock_mono_us() - j->start_mono_us;
	char t[32];

	if (!j->opts.min_duration_ms || us >= (int64_t)j->opts.min_duration_ms * 1000)
		return RUN_SUCCESS;
	snprintf(j->reason, sizeof j->reason, "finished in %.*f s, under --min-duration %s",
		 us >= 100000 ? 1 : 3, (double)us / 1e6,
		 duration_format(j->opts.min_duration_ms, t, sizeof t));
	return RUN_FAILURE;
}

/* Step 8a: the record goes to the local reports, always: syslog, then the state file (which
 * also counts consecutive failures for --fail-after). Done while the lock is still held,
 * so a slow run's record can never land after the record of a run that started later. */
static void record_local(struct job *j, enum run_state state)
{
	struct run_record *r = &j->rec;
	struct state_history hist;
	int rc, sig;

	r->state = state;
	r->end_us = clock_real_us();
	r->duration_us = clock_mono_us() - j->start_mono_us;
	r->reason = j->reason[0] ? j->reason : NULL;
	/* The syslog line needs nothing from the state file, and goes first. */
	report_local(&j->opts, &j->syslog, r);
	/* A refused state dir (said before the splay) keeps no history: the run counts as the
	 * job's first, for --fail-after and the alerting sinks. A stop signal ends the wait for
	 * the state directory's lock, not the reports. */
	if (j->state_refused) {
		size_t n;

		free(state_render(NULL, r, &hist, &n));
		rc = 0;
	} else {
		rc = state_save(j->opts.state_dir, &j->early, r, &j->forward, &hist, &sig, j->err,
				sizeof j->err);
	}
	state_early_free(&j->early);
	if (rc != 0)
		diag_error("%s", j->err);
	else if (!j->state_refused)
		diag_verbose("state: %s/%s.json (consecutive failures %u)", j->opts.state_dir, r->job,
			     hist.consecutive_failures);
	r->consecutive_failures = hist.consecutive_failures;
	r->last_success_us = hist.last_success_us;
	r->first_seen_us = hist.first_seen_us;
	j->state_saved = rc >= 0 && !j->state_refused;
}

/* Step 8b: then to every remote sink at once, after the lock is released, so the next run is
 * not held up by our reporting. Never changes the exit status. */
static void record_remote(struct job *j)
{
	struct run_record *r = &j->rec;
	struct options o = j->opts;
	char *tail = NULL;

	o.report_timeout_ms = start_report_end(j);
	if (j->res.output && (tail = malloc(TAILBUF_HEAD + TAILBUF_TAIL + 64))) {
		r->output_len = tailbuf_render(j->res.output, tail, TAILBUF_HEAD + TAILBUF_TAIL + 64);
		r->output = tail;
	}
	/* A failed run's output, when it was captured, is kept for --status to show. */
	if (tail && record_state_is_failure(r->state) && j->state_saved &&
	    status_save_output(j->opts.state_dir, r->job, r->run_id, tail, r->output_len, j->err,
			       sizeof j->err) < 0)
		diag_error("%s", j->err);
	if (report_wanted(&j->opts))
		report_send(&o, &j->report, r);
	free(tail);
	r->output = NULL;
}

/* --quiet held the output of a run that did not succeed: after it, one line that says what
 * happened, so cron mails every failure, also one that printed nothing (exit 5), and a kill
 * by --timeout is never shown as mere partial output. */
static void quiet_summary(const struct job *j, enum run_state state)
{
	int64_t us = clock_mono_us() - j->start_mono_us;
	char sig[48] = "", why[600] = "", t[32];

	if (j->rec.signal)
		snprintf(sig, sizeof sig, ", signal %d (%s)", j->rec.signal, strsignal(j->rec.signal));
	if (state == RUN_TIMEOUT)
		snprintf(why, sizeof why, ", killed after --timeout %s",
			 duration_format(j->opts.timeout_ms, t, sizeof t));
	else if (state == RUN_FAILURE && j->reason[0])
		/* Exec failures and errors have had their own line already. */
		snprintf(why, sizeof why, " (%s)", j->reason);
	diag_error("job %s: %s%s%s, exit %d, ran %lld.%03lld s", j->opts.name, record_state_name(state),
		   why, sig, j->rec.exit_code, (long long)(us / 1000000), (long long)(us % 1000000 / 1000));
}

/* A gate ended the run before the command: a skip is quiet (cron mails any output), an
 * error is one line and 125, or 128+N when signal N ended a wait. */
static void ended_early(struct job *j, enum run_state state)
{
	if (state != RUN_ERROR) {
		diag_verbose("skipped: %s", j->reason);
		return;
	}
	diag_error("%s", j->reason);
	j->rec.exit_code = j->rec.signal ? 128 + j->rec.signal : EXIT_CANCELED;
}

/* Steps 3-5: a gate's outcome. Returns 0 to go on, or 1 when it ended the run, with *STATE
 * set. A reason that comes with a go is a warning the run keeps, and says. */
static int gate_ended(struct job *j, const struct gate_result *g, enum run_state *state)
{
	if (g->reason[0])
		snprintf(j->reason, sizeof j->reason, "%s", g->reason);
	if (g->verdict == GATE_GO) {
		if (g->reason[0])
			diag_error("%s", g->reason);
		return 0;
	}
	*state = g->state;
	j->rec.signal = g->signal;
	ended_early(j, *state);
	return 1;
}

/* --status is a check (Nagios/Icinga): 0 every selected job OK, 2 one failed or is too old,
 * 3 unknown (a job without a state file, or no usable state directory). */
static int status(struct job *j)
{
	static const int codes[] = { [STATUS_OK] = 0, [STATUS_CRITICAL] = 2, [STATUS_UNKNOWN] = 3 };
	const struct options *o = &j->opts;
	struct status_query q = { .dir = o->state_dir, .jobs = o->names.v, .njobs = o->names.n,
				  .max_age_ms = o->max_age_ms, .json = o->json,
				  .now_us = clock_real_us() };
	enum status_verdict v;

	j->err[0] = '\0';
	v = status_check(stdout, &q, j->err, sizeof j->err);
	if (j->err[0])
		diag_error("%s", j->err);
	return codes[v];
}

/* --forget NAME: the local files, then (with --pushgateway) its group. 0 done, 3 nothing was
 * known of the job, 125 an error. */
static int forget(struct job *j)
{
	const struct options *o = &j->opts;
	int n = status_forget(o->state_dir, o->forget, o->textfile_dir, j->err, sizeof j->err);

	if (n < 0) {
		diag_error("%s", j->err);
		return EXIT_CANCELED;
	}
	if (o->pushgateway) {
		if (report_forget(o, o->forget, j->err, sizeof j->err) < 0) {
			diag_error("%s", j->err);
			return EXIT_CANCELED;
		}
		return 0;
	}
	if (n == 0) {
		diag_error("no state of job %s in %s", o->forget, o->state_dir);
		return 3;
	}
	return 0;
}

static int exit_status(const struct job *j)
{
	if (record_state_is_skip(j->rec.state))
		return j->opts.skip_exit;
	return j->rec.exit_code;
}

int main(int argc, char **argv)
{
	/* Static, not on the stack: only what a run uses of it is ever touched, and the stack
	 * below main, whose every touched page stays resident while the command runs, starts
	 * 9 KiB higher. */
	static struct job j;
	enum run_state state = RUN_SUCCESS;
	struct gate_result gate;
	int sig, code, failing, ran = 0;

	j.lock_fd = j.vip_watch_fd = j.syslog.fd = -1;
	j.early = (struct state_early)STATE_EARLY_NONE;
	j.res.held[0] = j.res.held[1] = -1;
	j.invoked_us = clock_real_us();

	/* 1. Configure: defaults < config file < environment < command line, all validated. */
	if (options_load(&j.opts, argc, argv, j.err, sizeof j.err) < 0) {
		diag_error("%s", j.err);
		/* A typo in the config file stops every job on the host: say so where it is seen
		 * without cron's mail (unless --no-syslog was read before the error). */
		if (!j.opts.no_syslog)
			diag_syslog_error(j.opts.name, j.err);
		options_free(&j.opts);
		return EXIT_CANCELED;
	}
	diag_set_verbose(j.opts.verbose);
	diag_set_syslog(!j.opts.no_syslog);
	switch (j.opts.action) {
	case ACTION_HELP:
		options_usage(stdout);
		return 0;
	case ACTION_VERSION:
		puts(PACKAGE_STRING);
		return 0;
	case ACTION_STATUS:
		code = status(&j);
		options_free(&j.opts);
		return code;
	case ACTION_FORGET:
		code = forget(&j);
		options_free(&j.opts);
		return code;
	case ACTION_LINT:
		failing = lint_file(j.opts.lint_crontab, j.opts.state_dir, j.opts.config,
				    j.opts.format && strcmp(j.opts.format, "json") == 0, stdout, j.err,
				    sizeof j.err);
		if (failing < 0)
			diag_error("%s", j.err);
		options_free(&j.opts);
		return failing < 0 ? EXIT_CANCELED : failing > 0;
	case ACTION_RUN:
		break;
	}
	/* 1b. Preflight: every file the run needs is there, before anything sleeps. */
	if ((j.state_refused = preflight_check(&j.opts, j.err, sizeof j.err)) < 0) {
		diag_error("%s", j.err);
		options_free(&j.opts);
		return EXIT_CANCELED;
	}
	block_signals(&j);
	if (plan(&j) < 0) {
		diag_error("%s", j.err);
		options_free(&j.opts);
		return EXIT_CANCELED;
	}
	if (j.opts.dry_run) {
		code = print_dry_run(&j) < 0 ? EXIT_CANCELED : 0;
		options_free(&j.opts);
		return code;
	}
	j.rec = (struct run_record){ .job = j.opts.name, .host = j.opts.host,
				     .labels = j.opts.labels, .nlabels = j.opts.nlabels,
				     .period_ms = j.opts.period_ms,
				     /* Gated to one host: only these can have run twice. */
				     .exclusive = (j.opts.vips.n && !j.opts.standby) || j.opts.once_per_ms ||
						  j.opts.cluster_lock,
				     .slot_us = j.invoked_us - j.invoked_us % 60000000,
				     .splay_us = (int64_t)j.delay_ms * 1000 };
	record_new_run_id(j.rec.run_id);

	/* 2. Splay: a per-host delay; a signal here ends the run before anything starts. */
	sig = splay_sleep(&j);
	j.rec.start_us = clock_real_us();
	j.rec.lateness_us = j.rec.start_us - j.rec.slot_us - j.rec.splay_us;
	j.start_mono_us = clock_mono_us();
	if (sig) {
		snprintf(j.reason, sizeof j.reason, "%s during the splay; command not run", strsignal(sig));
		j.rec.signal = sig;
		state = RUN_ERROR;
		ended_early(&j, state);
		goto done;
	}

	/* 3. Active node: only where the VIP is (or, with --standby, is not). */
	vip_gate_enter(&j.vip, &j.vip_watch_fd, &gate);
	if (gate_ended(&j, &gate, &state))
		goto done;

	/* 4. Local lock: never two runs of this job at once on this host. */
	lock_gate_enter(j.opts.lock ? j.lock_path : NULL, j.opts.lock_wait_ms, &j.forward,
			j.opts.host, &j.lock_fd, &gate);
	if (gate_ended(&j, &gate, &state))
		goto done;

	/* 5. Cluster: a cluster-wide lock, then this period's slot, on etcd. */
	etcd_gate_enter(&j.etcd, j.rec.run_id, j.invoked_us, &j.forward, &j.gate, &gate);
	if (gate_ended(&j, &gate, &state))
		goto done;

	/* 6 and 7. Run the command; the start report (a healthchecks /start ping, so a run that
	 * never ends is seen) goes out beside it, once it runs. */
	state = run(&j);
	ran = 1;
	if (state == RUN_SUCCESS)
		state = too_short(&j);
	if (state == RUN_EXEC_FAILED || state == RUN_ERROR)
		diag_error("%s", j.reason);
	else
		diag_verbose("command: %s, exit status %d%s%s", record_state_name(state),
			     j.rec.exit_code, j.reason[0] ? ": " : "", j.reason);

	/* 8. Record locally under the lock, release the locks, then report remotely, so the
	 * next run is not held up by our reporting. */
done:
	record_local(&j, state);
	etcd_gate_leave(j.gate);
	j.gate = NULL;
	lock_release(j.lock_fd);
	j.lock_fd = -1;
	if (j.opts.quiet && ran && state != RUN_SUCCESS) {
		run_replay_held(&j.res);
		quiet_summary(&j, state);
	}
	if (j.vip_watch_fd >= 0)
		close(j.vip_watch_fd);
	record_remote(&j);
	code = exit_status(&j);
	run_result_free(&j.res);
	options_free(&j.opts);
	/* 9. Exit with the command's status. */
	return code;
}
