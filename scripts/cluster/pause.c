/*
 * pause: the process that holds a pod's namespaces open (containerd's
 * sandbox_image in scripts/cluster.sh).  The cluster reaches no registry, so
 * the project builds this one itself; it is linked statically and runs in an
 * image that holds nothing else.
 *
 * It sleeps until SIGINT or SIGTERM, and reaps children, which it can only
 * have when a pod shares one PID namespace among its containers.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	sigset_t set;
	int sig;

	(void)argv;
	if (argc != 1) {
		fputs("usage: pause\n", stderr);
		return 2;
	}
	/*
	 * Waiting with sigwait on blocked signals instead of handlers: nothing
	 * runs in signal context, and a signal that arrives before the wait is
	 * not lost.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
		perror("pause: sigprocmask");
		return 1;
	}
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGCHLD)
			return 0;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}
