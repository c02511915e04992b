package dev.bulwark.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code bulwark context watch}: the live cluster's tenant context onto the context topic. */
@Command(name = "context", mixinStandardHelpOptions = true,
        description = "Tenant context from a live Kubernetes cluster (docs/cluster.md).",
        subcommands = ContextCommand.Watch.class)
final class ContextCommand implements Callable<Integer> {

    @ParentCommand
    BulwarkCommand parent;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.out);
        return 0;
    }

    /** Watches the cluster until a signal, or until it cannot go on (exit 1, so an orchestrator restarts it). */
    @Command(name = "watch", mixinStandardHelpOptions = true,
            description = {"Watch namespaces, pods, service accounts, RBAC objects and network policies (and Capsule "
                    + "tenants where served) and keep the context topic equal to them, as 'ingest --format k8s-objects' "
                    + "publishes them; deletes become tombstones. Reads $KUBECONFIG or ~/.kube/config, or inside a pod "
                    + "its service account. /readyz on the metrics port once the first list is published."})
    static final class Watch implements Callable<Integer> {
        @ParentCommand
        ContextCommand context;

        @Option(names = "--kubeconfig", paramLabel = "FILE", description = "A kubeconfig file (default: $KUBECONFIG, "
                + "~/.kube/config, else the in-cluster service account).")
        Path kubeconfig;

        @Option(names = "--kube-context", paramLabel = "NAME", description = "The kubeconfig context (default: its current one).")
        String kubeContext;

        @Override
        public Integer call() throws Exception {
            BulwarkConfig config = context.parent.config();
            if (kubeconfig != null) {
                System.setProperty(Config.KUBERNETES_KUBECONFIG_FILE, kubeconfig.toString());
            }
            try (MetricsServer metrics = new MetricsServer(config.metrics.port, config.httpLimits(), config.tls());
                 KubernetesClient client = new KubernetesClientBuilder().withConfig(Config.autoConfigure(kubeContext)).build();
                 ContextWatch watch = ContextWatch.start(config, client, metrics.registry())) {
                metrics.readiness("context-watch", watch::notReadyReason);
                metrics.liveness("context-watch", watch::failure);
                metrics.started();
                BulwarkCommand.say("watching " + client.getMasterUrl() + " (" + watch.previouslyPublished()
                        + " keys already on the context topic)");
                long t0 = System.nanoTime();
                watch.synced().whenComplete((x, e) -> {
                    if (e == null) {
                        BulwarkCommand.say("listed the cluster in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)
                                + " ms: " + watch.stats().contextUpdatesOut() + " context updates acknowledged; "
                                + "now watching");
                    }
                });
                BulwarkRuntime.awaitSignal(watch.failed());
                if (watch.failure() != null) {
                    BulwarkCommand.say("error: " + watch.failure());
                    return 1;
                }
            }
            return 0;
        }
    }
}
