package dev.bulwark.ingest.tetragon;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.bulwark.ingest.InMemoryIngest;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.ingest.SafeJson;
import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.SecurityEvent;

class TetragonParserTest {

    private static final String DOCS = "tetragon/tetragon_docs_events.ndjson";
    private static final String TESTDATA = "tetragon/testdata_events.ndjson";
    private static final String BOOK = "tetragon/oreilly_book_examples/";

    private final TetragonParser parser = new TetragonParser();

    // ---------------------------------------------------------------------------------------------- real samples

    @Test
    void shouldParseEveryDocsAndTestdataEvent() throws Exception {
        List<String> lines = Stream.concat(Samples.lines(DOCS).stream(), Samples.lines(TESTDATA).stream()).toList();
        assertThat(lines).hasSize(21);
        for (String line : lines) {
            SecurityEvent event = parseOne(line);
            assertThat(event.getSourceFormat()).isEqualTo("tetragon");
            assertThat(event.getEvent().getKind()).isEqualTo("event");
            assertThat(event.getEvent().getDataset()).matches("tetragon\\.process_(exec|exit|kprobe)");
            assertThat(event.getEvent().getCategory()).isNotEmpty();
            assertThat(event.getEvent().getType()).isNotEmpty();
            assertThat(event.getEvent().getIngested()).isGreaterThan(event.getTimestamp());
            assertThat(event.getTimestamp()).isPositive();
            assertThat(event.getProcess().getEntityId()).isNotBlank();
            assertThat(event.getOriginal()).isEqualTo(line);
        }
    }

    @Test
    void shouldParseEveryPrettyPrintedBookExampleThroughTheRealFraming() throws Exception {
        List<Path> files;
        try (Stream<Path> listing = Files.list(Samples.path(BOOK))) {
            files = listing.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertThat(files).hasSize(40);
        Map<String, Integer> datasets = new TreeMap<>();
        for (Path file : files) {
            InMemoryIngest.Result result = InMemoryIngest.run(Files.readAllBytes(file), file.getFileName().toString(),
                    Parsers.forFormat("tetragon"));
            assertThat(result.deadLetters()).as(file.toString()).isEmpty();
            assertThat(result.events()).as(file.toString()).hasSize(1);
            SecurityEvent event = result.events().get(0);
            assertThat(event.getHost().getHostname()).isIn("minikube", "gke-kprobe-validation-default-pool-b5e9dab6-k0cj");
            datasets.merge(event.getEvent().getDataset(), 1, Integer::sum);
        }
        assertThat(datasets).containsExactlyEntriesOf(new TreeMap<>(Map.of(
                "tetragon.process_close", 4, "tetragon.process_connect", 5, "tetragon.process_exec", 18,
                "tetragon.process_exit", 9, "tetragon.process_kprobe", 2, "tetragon.process_listen", 2)));
    }

    @Test
    void shouldMapExecWithNanosecondTimeContainerImageAndPod() throws Exception {
        SecurityEvent event = parseOne(line(DOCS, 1));
        assertThat(event.getTimestamp()).isEqualTo(1_696_629_837_700_326_678L);
        assertThat(event.getEvent().getCategory()).containsExactly("process");
        assertThat(event.getEvent().getType()).containsExactly("start");
        assertThat(event.getEvent().getAction()).isEqualTo("exec");
        assertThat(event.getEvent().getDataset()).isEqualTo("tetragon.process_exec");
        assertThat(event.getHost().getHostname()).isEqualTo("gke-john-632-default-pool-7041cac0-9s95");

        assertThat(event.getContainer().getId()).isEqualTo("551e161c47d8ff0eb665438a7bcd5b4e3ef5a297282b40a92b7c77d6bd168eb3");
        assertThat(event.getContainer().getRuntime()).isEqualTo("containerd");
        assertThat(event.getContainer().getName()).isEqualTo("spaceship");
        assertThat(event.getContainer().getImageName()).isEqualTo("docker.io/tgraf/netperf");
        assertThat(event.getContainer().getImageTag()).isEqualTo("latest");
        assertThat(event.getContainer().getImageDigest())
                .isEqualTo("sha256:8e86f744bfea165fd4ce68caa05abc96500f40130b857773186401926af7e9e6");

        assertThat(event.getKubernetes().getNamespace()).isEqualTo("default");
        assertThat(event.getKubernetes().getPod()).isEqualTo("xwing");
        assertThat(event.getKubernetes().getWorkload()).isEqualTo("xwing");
        assertThat(event.getKubernetes().getNode()).isEqualTo("gke-john-632-default-pool-7041cac0-9s95");
        assertThat(event.getKubernetes().getLabels()).containsEntry("app.kubernetes.io/name", "xwing")
                .containsEntry("org", "alliance").hasSize(3);

        assertThat(event.getProcess().getPid()).isEqualTo(52699L);
        assertThat(event.getProcess().getEntityId())
                .isEqualTo("Z2tlLWpvaG4tNjMyLWRlZmF1bHQtcG9vbC03MDQxY2FjMC05czk1OjEzNTQ4Njc0MzIxMzczOjUyNjk5");
        assertThat(event.getProcess().getName()).isEqualTo("curl");
        assertThat(event.getProcess().getExecutable()).isEqualTo("/usr/bin/curl");
        assertThat(event.getProcess().getCommandLine()).isEqualTo("/usr/bin/curl https://ebpf.io/applications/#tetragon");
        assertThat(event.getProcess().getArgs()).containsExactly("/usr/bin/curl", "https://ebpf.io/applications/#tetragon");
        assertThat(event.getProcess().getWorkingDirectory()).isEqualTo("/");
        assertThat(event.getProcess().getUserId()).isEqualTo("0");
        assertThat(event.getUser().getId()).isEqualTo("0");

        assertThat(event.getProcess().getParent().getPid()).isEqualTo(52699L);
        assertThat(event.getProcess().getParent().getName()).isEqualTo("bash");
        assertThat(event.getProcess().getParent().getExecutable()).isEqualTo("/bin/bash");
        assertThat(event.getProcess().getParent().getCommandLine())
                .isEqualTo("/bin/bash -c \"curl https://ebpf.io/applications/#tetragon\"");
        assertThat(event.getProcess().getParent().getEntityId())
                .isEqualTo("Z2tlLWpvaG4tNjMyLWRlZmF1bHQtcG9vbC03MDQxY2FjMC05czk1OjEzNTQ4NjcwODgzMjk5OjUyNjk5");

        assertThat(event.getAttributes())
                .containsEntry("tetragon.process.flags", "execve rootcwd")
                .containsEntry("tetragon.process.start_time", "2023-10-06T22:03:57.700327580Z")
                .containsEntry("tetragon.process.tid", "52699")
                .containsEntry("tetragon.process.vpid", "49")
                .containsEntry("tetragon.process.docker", "551e161c47d8ff0eb665438a7bcd5b4")
                .containsEntry("tetragon.container.start_time", "2023-10-06T21:52:41Z")
                .doesNotContainKey("tetragon.process.auid");
    }

    @Test
    void shouldStripDockerSchemesFromContainerAndImageIds() throws Exception {
        SecurityEvent event = parseOne(book("cat_process_kprobe.json"));
        assertThat(event.getContainer().getId()).isEqualTo("e6af4dff4ea3b8d50313c59fbaa442e377da35671e79f43b8dc53c5efcc9b659");
        assertThat(event.getContainer().getRuntime()).isEqualTo("docker");
        assertThat(event.getContainer().getImageName()).isEqualTo("quay.io/isovalent/jobs-app-elasticsearch");
        assertThat(event.getContainer().getImageDigest())
                .isEqualTo("sha256:ff3aa5862fd17f8695984609743f4523188984adbcd25cf5ac4224b71084558c");
        assertThat(event.getTimestamp()).isEqualTo(1_643_738_516_410_000_000L);
    }

    @Test
    void shouldSplitQuotedArgumentsIntoArgv() throws Exception {
        SecurityEvent listen = parseOne(book("nginx-listen.json"));
        assertThat(listen.getProcess().getArgs()).containsExactly("/usr/sbin/nginx", "-g", "daemon off;");
        assertThat(listen.getProcess().getParent().getCommandLine())
                .isEqualTo("/docker-entrypoint.sh /docker-entrypoint.sh nginx -g \"daemon off;\"");

        assertThat(Arguments.split("-c \"curl https://x/#y\"")).containsExactly("-c", "curl https://x/#y");
        assertThat(Arguments.split("  -t 1   -m  ")).containsExactly("-t", "1", "-m");
        assertThat(Arguments.split("a\"b c")).containsExactly("a\"b", "c");
        assertThat(Arguments.split("\"unclosed quote here")).containsExactly("\"unclosed", "quote", "here");
        assertThat(Arguments.split("\"\" x")).containsExactly("", "x");
        assertThat(Arguments.split("")).isEmpty();
    }

    @Test
    void shouldSplitImageReferencesWithoutMistakingRegistryPortsForTags() {
        assertThat(ImageRef.of("registry.local:5000/team/app", null)).isEqualTo(new ImageRef("registry.local:5000/team/app", null, null));
        assertThat(ImageRef.of("registry.local:5000/team/app:1.2", "sha256:abc"))
                .isEqualTo(new ImageRef("registry.local:5000/team/app", "1.2", "sha256:abc"));
        assertThat(ImageRef.of("nginx@sha256:0d17", "docker-pullable://nginx@sha256:ffff")).isEqualTo(new ImageRef("nginx", null, "sha256:0d17"));
        assertThat(ImageRef.of(null, "docker-pullable://nginx@sha256:0d17")).isEqualTo(new ImageRef("nginx", null, "sha256:0d17"));
        assertThat(ImageRef.of("", "")).isEqualTo(ImageRef.NONE);
    }

    @Test
    void shouldUseProcessStartTimeWhenAnExecHasNoTime() throws Exception {
        SecurityEvent event = parseOne(line(TESTDATA, 1));
        assertThat(event.getTimestamp()).isEqualTo(1_666_062_978_273_546_829L);
        assertThat(event.getAttributes()).containsEntry("tetragon.time_source", "process.start_time");
        assertThat(event.getHost().getHostname()).isEqualTo("my-node");
        assertThat(event.getProcess().getArgs()).containsExactly("/usr/bin/netserver", "-D");

        String kprobeWithoutTime = edit(line(DOCS, 3), root -> root.remove("time"));
        assertReason(kprobeWithoutTime, "missing event time: field 'time' is absent in this process_kprobe event");
    }

    @Test
    void shouldMapExitAsEndAndKeepStatusAndSignal() throws Exception {
        SecurityEvent exit = parseOne(line(DOCS, 15));
        assertThat(exit.getEvent().getType()).containsExactly("end");
        assertThat(exit.getEvent().getAction()).isEqualTo("exit");
        assertThat(exit.getProcess().getName()).isEqualTo("whoami");
        assertThat(exit.getAttributes()).doesNotContainKeys("tetragon.exit.status", "tetragon.exit.signal");

        SecurityEvent killed = parseOne(edit(line(DOCS, 15), root -> ((ObjectNode) root.get("process_exit"))
                .put("signal", "SIGKILL").put("status", 137)));
        assertThat(killed.getAttributes()).containsEntry("tetragon.exit.signal", "SIGKILL")
                .containsEntry("tetragon.exit.status", "137");
    }

    @Test
    void shouldMapFileKprobeWithPolicyArgsAndReturn() throws Exception {
        SecurityEvent event = parseOne(line(DOCS, 3));
        assertThat(event.getTimestamp()).isEqualTo(1_713_061_094_376_304_204L);
        assertThat(event.getFile().getPath()).isEqualTo("/etc/passwd");
        assertThat(event.getEvent().getCategory()).containsExactly("file");
        assertThat(event.getEvent().getType()).containsExactly("access");
        assertThat(event.getEvent().getAction()).isEqualTo("security_file_permission");
        assertThat(event.getEvent().getOutcome()).isEqualTo("success");
        assertThat(event.getRule().getName()).isEqualTo("file-monitoring");
        assertThat(event.getRule().getRuleset()).isEqualTo("tetragon");
        assertThat(event.getProcess().getCommandLine()).isEqualTo("/bin/vi /etc/passwd");
        assertThat(event.getAttributes())
                .containsEntry("tetragon.kprobe.function", "security_file_permission")
                .containsEntry("tetragon.kprobe.policy", "file-monitoring")
                .containsEntry("tetragon.kprobe.action", "KPROBE_ACTION_POST")
                .containsEntry("tetragon.kprobe.return_action", "KPROBE_ACTION_POST")
                .containsEntry("tetragon.kprobe.args.0", "{\"file_arg\":{\"path\":\"/etc/passwd\",\"permission\":\"-rw-r--r--\"}}")
                .containsEntry("tetragon.kprobe.args.1", "{\"int_arg\":2}")
                .containsEntry("tetragon.kprobe.return", "{\"int_arg\":0}")
                .containsEntry("k8s.workload_kind", "Pod");

        SecurityEvent write = parseOne(book("process_kprobe.json"));
        assertThat(write.getEvent().getAction()).isEqualTo("__x64_sys_write");
        assertThat(write.getFile().getPath()).isEqualTo("etc/passwd");
        assertThat(write.getEvent().getOutcome()).isNull();
        assertThat(write.getAttributes().get("tetragon.kprobe.args.1")).startsWith("{\"bytes_arg\":\"ZGFlbW9u");
    }

    @Test
    void shouldMapSocketKprobeToEndpointsAndTransport() throws Exception {
        // The shape of a tcp_connect kprobe from the gRPC reference (KprobeSock), on a real kprobe envelope.
        String record = edit(line(DOCS, 13), root -> {
            ObjectNode kprobe = (ObjectNode) root.get("process_kprobe");
            kprobe.put("function_name", "tcp_connect").put("policy_name", "connect");
            ObjectNode sock = kprobe.putArray("args").addObject().putObject("sock_arg");
            sock.put("family", "AF_INET").put("type", "SOCK_STREAM").put("protocol", "IPPROTO_TCP")
                    .put("saddr", "10.244.0.5").put("daddr", "140.82.121.4").put("sport", 45678).put("dport", 443)
                    .put("state", "TCP_SYN_SENT");
        });
        SecurityEvent event = parseOne(record);
        assertThat(event.getEvent().getCategory()).containsExactly("network");
        assertThat(event.getEvent().getType()).containsExactly("connection", "start");
        assertThat(event.getSource().getIp()).isEqualTo("10.244.0.5");
        assertThat(event.getSource().getPort()).isEqualTo(45678);
        assertThat(event.getDestination().getIp()).isEqualTo("140.82.121.4");
        assertThat(event.getDestination().getPort()).isEqualTo(443);
        assertThat(event.getNetwork().getTransport()).isEqualTo("tcp");
        assertThat(event.getNetwork().getDirection()).isEqualTo("egress");
        assertThat(event.getFile()).isNull();
    }

    @Test
    void shouldMapLegacyConnectCloseAndListenEvents() throws Exception {
        SecurityEvent connect = parseOne(book("nc_process_connect.json"));
        assertThat(connect.getEvent().getCategory()).containsExactly("network");
        assertThat(connect.getEvent().getType()).containsExactly("connection", "start");
        assertThat(connect.getEvent().getAction()).isEqualTo("connect");
        assertThat(connect.getSource().getIp()).isEqualTo("10.88.0.6");
        assertThat(connect.getSource().getPort()).isEqualTo(48416);
        assertThat(connect.getDestination().getIp()).isEqualTo("64.225.45.153");
        assertThat(connect.getDestination().getPort()).isEqualTo(443);
        assertThat(connect.getNetwork().getTransport()).isEqualTo("tcp");
        assertThat(connect.getNetwork().getDirection()).isEqualTo("egress");
        assertThat(connect.getProcess().getCommandLine()).isEqualTo("/usr/bin/nc raiz3gjkgtfhkkc.not-reverse-shell.com 443");

        SecurityEvent close = parseOne(book("process_close.json"));
        assertThat(close.getEvent().getType()).containsExactly("connection", "end");
        assertThat(close.getDestination().getIp()).isEqualTo("142.250.180.196");
        assertThat(close.getAttributes()).containsEntry("tetragon.close.stats.bytes_received", "15221")
                .containsEntry("tetragon.close.stats.srtt", "699229");

        SecurityEvent listen = parseOne(book("nginx-listen.json"));
        assertThat(listen.getEvent().getType()).containsExactly("start");
        assertThat(listen.getDestination().getIp()).isEqualTo("0.0.0.0");
        assertThat(listen.getDestination().getPort()).isEqualTo(80);
        assertThat(listen.getSource()).isNull();
    }

    @Test
    void shouldKeepCapabilitiesHostNamespacesModulesAndDeniedChecks() throws Exception {
        SecurityEvent nsenter = parseOne(book("privileged-pod-nsenter.json"));
        assertThat(nsenter.getAttributes().get("tetragon.process.cap.effective").split(","))
                .contains("CAP_SYS_ADMIN", "CAP_SYS_MODULE").hasSize(38);
        assertThat(nsenter.getProcess().getArgs()).containsExactly("/usr/bin/nsenter", "-t", "1", "-m", "-u", "-n", "-i", "-p", "bash");

        SecurityEvent capable = parseOne(line(DOCS, 16));
        assertThat(capable.getAttributes()).containsEntry("tetragon.process.ns.host", "time,time_for_children,user")
                .containsEntry("tetragon.kprobe.args.1", "{\"capability_arg\":{\"value\":34,\"name\":\"CAP_SYSLOG\"}}");
        assertThat(capable.getEvent().getOutcome()).isEqualTo("failure");
        assertThat(capable.getEvent().getCategory()).containsExactly("process");
        assertThat(capable.getEvent().getType()).containsExactly("info");

        SecurityEvent module = parseOne(line(DOCS, 5));
        assertThat(module.getEvent().getCategory()).containsExactly("driver");
        assertThat(module.getEvent().getAction()).isEqualTo("do_init_module");
    }

    @Test
    void shouldTreatProcessesWithoutPodAsNodeLevel() throws Exception {
        SecurityEvent insmod = parseOne(line(DOCS, 4));
        assertThat(insmod.getKubernetes()).isNull();
        assertThat(insmod.getContainer()).isNull();
        assertThat(insmod.getHost()).isNull();
        assertThat(insmod.getAttributes()).containsEntry("tetragon.process.auid", "1000");
        assertThat(insmod.getFile().getPath()).isEqualTo("/home/tixxdz/tetragon/contrib/tester-progs/kernel_module_hello.ko");

        SecurityEvent sevenZip = parseOne(book("merlin-agent-7z-exit.json"));
        assertThat(sevenZip.getKubernetes()).isNull();
        assertThat(sevenZip.getContainer().getId()).isEqualTo("a51959123c3ba99a9f50a700");
        assertThat(sevenZip.getAttributes()).containsEntry("tetragon.container.id_truncated", "true");
    }

    @Test
    void shouldMapEnvelopeClusterNodeLabelsAndPodFields() throws Exception {
        SecurityEvent event = parseOne(edit(line(DOCS, 1), root -> {
            ObjectNode object = root;
            object.put("cluster_name", "prod-eu");
            object.putObject("node_labels").put("topology.kubernetes.io/zone", "eu-1a");
            object.putObject("aggregation_info").put("count", 3);
            ObjectNode process = (ObjectNode) root.get("process_exec").get("process");
            process.putObject("user").put("name", "root");
            process.put("in_init_tree", true);
            ObjectNode pod = (ObjectNode) process.get("pod");
            pod.putObject("pod_annotations").put("team", "blue");
            ((ObjectNode) pod.get("container")).putObject("security_context").put("privileged", true);
        }));
        assertThat(event.getOrchestrator().getCluster()).isEqualTo("prod-eu");
        assertThat(event.getProcess().getUserName()).isEqualTo("root");
        assertThat(event.getUser().getName()).isEqualTo("root");
        assertThat(event.getContainer().getPrivileged()).isTrue();
        assertThat(event.getAttributes()).containsEntry("tetragon.node_labels.topology.kubernetes.io/zone", "eu-1a")
                .containsEntry("tetragon.aggregation.count", "3")
                .containsEntry("tetragon.process.in_init_tree", "true")
                .containsEntry("k8s.pod.annotations.team", "blue");
    }

    @Test
    void shouldMapTracepointLsmUprobeLoaderAndRateLimitEvents() throws Exception {
        String kprobe = line(DOCS, 3);
        SecurityEvent tracepoint = parseOne(edit(kprobe, root -> {
            ObjectNode body = (ObjectNode) root.remove("process_kprobe");
            body.remove("function_name");
            body.put("subsys", "syscalls").put("event", "sys_enter_openat");
            root.set("process_tracepoint", body);
        }));
        assertThat(tracepoint.getEvent().getDataset()).isEqualTo("tetragon.process_tracepoint");
        assertThat(tracepoint.getEvent().getAction()).isEqualTo("syscalls/sys_enter_openat");
        assertThat(tracepoint.getFile().getPath()).isEqualTo("/etc/passwd");
        assertThat(tracepoint.getAttributes()).containsEntry("tetragon.tracepoint.subsys", "syscalls")
                .containsEntry("tetragon.tracepoint.args.1", "{\"int_arg\":2}");

        SecurityEvent lsm = parseOne(edit(kprobe, root -> {
            ObjectNode body = (ObjectNode) root.remove("process_kprobe");
            body.put("function_name", "bprm_check_security").put("ima_hash", "sha256:0123");
            body.putArray("tags").add("observability.process_exec");
            root.set("process_lsm", body);
        }));
        assertThat(lsm.getEvent().getAction()).isEqualTo("bprm_check_security");
        assertThat(lsm.getTags()).containsExactly("observability.process_exec");
        assertThat(lsm.getAttributes()).containsEntry("tetragon.lsm.ima_hash", "sha256:0123")
                .containsEntry("tetragon.lsm.policy", "file-monitoring");

        SecurityEvent uprobe = parseOne(edit(kprobe, root -> {
            ObjectNode body = (ObjectNode) root.remove("process_kprobe");
            body.remove("function_name");
            body.remove("args");
            body.remove("return");
            body.put("path", "/bin/bash").put("symbol", "readline");
            root.set("process_uprobe", body);
        }));
        assertThat(uprobe.getEvent().getAction()).isEqualTo("readline");
        assertThat(uprobe.getEvent().getCategory()).containsExactly("process");
        assertThat(uprobe.getFile()).isNull();
        assertThat(uprobe.getAttributes()).containsEntry("tetragon.uprobe.path", "/bin/bash");

        SecurityEvent loader = parseOne(edit(line(DOCS, 1), root -> {
            ObjectNode body = (ObjectNode) root.remove("process_exec");
            body.put("path", "/usr/lib/x86_64-linux-gnu/libc.so.6").put("buildid", "Mu3e+Q==");
            root.set("process_loader", body);
        }));
        assertThat(loader.getEvent().getCategory()).containsExactly("process", "library");
        assertThat(loader.getFile().getPath()).isEqualTo("/usr/lib/x86_64-linux-gnu/libc.so.6");
        assertThat(loader.getContainer().getName()).isEqualTo("spaceship");

        SecurityEvent dropped = parseOne(edit(line(DOCS, 1), root -> {
            root.remove("process_exec");
            root.putObject("rate_limit_info").put("number_of_dropped_process_events", "42");
        }));
        assertThat(dropped.getProcess()).isNull();
        assertThat(dropped.getEvent().getCategory()).containsExactly("host");
        assertThat(dropped.getAttributes()).containsEntry("tetragon.rate_limit.dropped_process_events", "42");
        assertThat(dropped.getHost().getHostname()).isEqualTo("gke-john-632-default-pool-7041cac0-9s95");
    }

    @Test
    void shouldGiveDeterministicIdsPerRecord() throws Exception {
        String first = line(DOCS, 1);
        assertThat(parseOne(first).getId()).isEqualTo(parseOne(first).getId()).hasSize(32);
        // The same exec appears in two doc pages with identical bytes: the same id lets the sink de-duplicate.
        assertThat(parseOne(line(DOCS, 2)).getId()).isEqualTo(parseOne(first).getId());
        assertThat(parseOne(line(DOCS, 3)).getId()).isNotEqualTo(parseOne(first).getId());
    }

    @Test
    void shouldRejectUnknownAndAmbiguousEventTypesNamingTheKeys() throws Exception {
        String renamed = edit(line(DOCS, 1), root -> {
            ObjectNode object = root;
            object.set("process_teleport", object.remove("process_exec"));
        });
        assertReason(renamed, "not a Tetragon event: no known event type among keys [node_name, time, process_teleport]");
        String doubled = edit(line(DOCS, 1), root -> root.set("process_exit", root.get("process_exec").deepCopy()));
        assertReason(doubled, "exactly one event type, found 2: process_exec, process_exit");
        assertReason("{}", "not a Tetragon event: the object is empty");
    }

    @Test
    void shouldDeadLetterAPolicyFileWithAClearReasonInsteadOfCrashing() throws Exception {
        // A real policy YAML fed by mistake, then a tracing policy converted to JSON, then one good event.
        byte[] yaml = Files.readAllBytes(Samples.path("k8s_audit/falco_k8saudit_audit-policy.yaml"));
        ObjectNode policy = SafeJson.mapper().createObjectNode();
        policy.put("apiVersion", "cilium.io/v1alpha1").put("kind", "TracingPolicy").putObject("metadata").put("name", "fd-install");
        policy.putObject("spec").putArray("kprobes").addObject().put("call", "fd_install").put("syscall", false);
        String input = new String(yaml, UTF_8) + "\n" + SafeJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(policy)
                + "\n" + line(DOCS, 1) + "\n";

        InMemoryIngest.Result result = InMemoryIngest.run(input.getBytes(UTF_8), "policy.yaml", parser);

        assertThat(result.events()).hasSize(1);
        assertThat(result.deadLetters()).hasSize((int) result.recordsIn() - 1).hasSizeGreaterThan(10);
        List<String> reasons = result.deadLetters().stream().map(DeadLetter::getError).toList();
        assertThat(reasons).allSatisfy(reason -> assertThat(reason).satisfiesAnyOf(
                r -> assertThat(r).startsWith("invalid JSON"),
                r -> assertThat(r).startsWith("expected a JSON object"),
                r -> assertThat(r).startsWith("not a Tetragon event")));
        assertThat(reasons).contains("not a Tetragon event: it is a Kubernetes object of kind TracingPolicy "
                + "(cilium.io/v1alpha1), e.g. a policy, not an exported event");
        assertThat(result.deadLetters().get(0).getOrigin()).isEqualTo("policy.yaml:1");
    }

    // ---------------------------------------------------------------------------------------------- hostile input

    @Test
    void shouldRejectBrokenAndWrongTypedRecordsWithPreciseReasons() throws Exception {
        String exec = line(DOCS, 1);
        assertReason(exec.substring(0, exec.length() / 2), "invalid JSON");
        assertReason("[" + exec + "]", "expected a JSON object, got an array");
        assertReason("null", "expected a JSON object, got null");
        assertReason("", "empty record");
        assertReason("   ", "empty record");
        assertReason("\"process_exec\"", "expected a JSON object, got a string");
        assertReason(exec + " {}", "invalid JSON");
        assertReason(edit(exec, root -> ((ObjectNode) root.get("process_exec").get("process")).put("pid", "abc")),
                "in 'process_exec.process': field 'pid' must be a whole number, got \"abc\"");
        assertReason(edit(exec, root -> ((ObjectNode) root.get("process_exec")).putArray("process")),
                "in 'process_exec': field 'process' must be an object, got an array");
        assertReason(edit(exec, root -> ((ObjectNode) root.get("process_exec")).remove("process")),
                "missing required field 'process_exec.process'");
        assertReason(edit(exec, root -> root.put("process_exec", "exec")),
                "field 'process_exec' must be an object, got a string");
        assertReason(edit(exec, root -> ((ObjectNode) root.get("process_exec")).put("parent", 7)),
                "in 'process_exec': field 'parent' must be an object, got a number");
        assertReason(edit(exec, root -> ((ObjectNode) root.get("process_exec").get("parent")).put("pid", -1.5)),
                "in 'process_exec.parent': field 'pid' must be a whole number, got a number");
        assertReason(edit(exec, root -> ((ObjectNode) root.get("process_exec").get("process")).putArray("binary").add(1)),
                "field 'binary' must be a scalar, got an array");
        assertReason(edit(exec, root -> ((ObjectNode) root.get("process_exec").get("process").get("pod")).put("container", "c")),
                "in 'process_exec.process': field 'container' must be an object, got a string");
        assertReason(edit(exec, root -> ((ObjectNode) root.get("process_exec").get("process").get("pod"))
                        .putObject("pod_labels").putObject("nested")),
                "field 'nested' must be a scalar, got an object");
        assertReason(edit(exec, root -> root.put("time", "yesterday")),
                "field 'time' is not an RFC 3339 timestamp: \"yesterday\"");
        assertReason(edit(exec, root -> ((ObjectNode) root.get("process_exec").get("process")).put("uid", 1e300)),
                "field 'uid' must be a whole number, got a number");
        assertReason(exec.replaceFirst("\"node_name\"", "\"time\":\"2023-10-06T22:03:57Z\",\"node_name\""), "Duplicate field 'time'");

        String kprobe = line(DOCS, 3);
        assertReason(edit(kprobe, root -> ((ObjectNode) root.get("process_kprobe")).put("args", "none")),
                "field 'process_kprobe.args' must be an array, got a string");
        assertReason(edit(kprobe, root -> ((ArrayNode) root.get("process_kprobe").get("args")).insert(0, "x")),
                "field 'process_kprobe.args[0]' must be an object, got a string");
        assertReason(edit(kprobe, root -> ((ArrayNode) root.get("process_kprobe").get("args")).insertObject(0).put("sock_arg", 1)),
                "in 'process_kprobe.args[0]': field 'sock_arg' must be an object, got a number");
        assertReason(edit(kprobe, root -> ((ArrayNode) root.get("process_kprobe").get("args")).insertObject(0)
                        .putObject("sock_arg").put("dport", "https")),
                "in 'process_kprobe.args[0]': field 'dport' must be a whole number, got \"https\"");
        assertReason(edit(kprobe, root -> ((ObjectNode) root.get("process_kprobe")).putObject("return").put("int_arg", "x")),
                "in 'process_kprobe.return': field 'int_arg' must be a whole number");
        assertReason(edit(kprobe, root -> ((ObjectNode) root.get("process_kprobe")).putArray("tags").addObject()),
                "field 'tags' must hold strings, got an object");
    }

    @Test
    @Timeout(30)
    void shouldRejectDeeplyNestedJsonWithoutStackOverflow() {
        String deep = "{\"process_exec\":{\"process\":{\"x\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}}}";
        assertReason(deep, "JSON exceeds a safety limit");
        assertReason("[".repeat(100_000), "JSON exceeds a safety limit");
    }

    @Test
    @Timeout(30)
    void shouldRejectHugeStringsAndKeepLargeArgumentsBounded() throws Exception {
        String huge = edit(line(DOCS, 1), root -> ((ObjectNode) root.get("process_exec").get("process"))
                .put("arguments", "A".repeat(2 * 1024 * 1024)));
        assertReason(huge, "JSON exceeds a safety limit");

        String bigBytes = edit(line(DOCS, 3), root -> ((ArrayNode) root.get("process_kprobe").get("args")).addObject()
                .put("bytes_arg", "Q".repeat(200_000)));
        SecurityEvent event = parseOne(bigBytes);
        assertThat(event.getAttributes()).containsEntry("tetragon.kprobe.args.2.omitted_chars", "200016")
                .doesNotContainKey("tetragon.kprobe.args.2");
    }

    @Test
    void shouldRejectInvalidUtf8() throws Exception {
        byte[] bytes = line(DOCS, 1).getBytes(UTF_8);
        int at = line(DOCS, 1).indexOf("xwing") + 1;
        bytes[at] = (byte) 0xC3; // a lead byte followed by an ASCII letter instead of a continuation byte
        assertThatThrownBy(() -> parser.parse(bytes, "t")).isInstanceOf(ParseException.class).hasMessageContaining("UTF-8");
        byte[] lone = {'{', '"', 'n', 'o', 'd', 'e', '_', 'n', 'a', 'm', 'e', '"', ':', '"', (byte) 0xFF, '"', '}'};
        assertThatThrownBy(() -> parser.parse(lone, "t")).isInstanceOf(ParseException.class).hasMessageContaining("UTF-8");
    }

    @Test
    @Timeout(30)
    void shouldNeverThrowAnythingButParseExceptionForMutatedRealRecords() throws Exception {
        // Every prefix of a real record and every single-byte corruption at a sample of positions.
        String record = line(DOCS, 3);
        byte[] bytes = record.getBytes(UTF_8);
        dev.bulwark.ingest.RecordMutations.forEach(bytes, 7, 13, this::assertParsesOrRejects);
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private void assertParsesOrRejects(byte[] record) {
        try {
            List<SecurityEvent> events = parser.parse(record, "fuzz");
            assertThat(events).hasSize(1);
        } catch (ParseException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
    }

    private SecurityEvent parseOne(String record) throws ParseException {
        List<SecurityEvent> events = parser.parse(record.getBytes(UTF_8), "test:1");
        assertThat(events).hasSize(1);
        assertThat(events.get(0).getEvent().getIngested()).isLessThanOrEqualTo(nowNanos());
        return events.get(0);
    }

    private void assertReason(String record, String reason) {
        assertThatThrownBy(() -> parser.parse(record.getBytes(UTF_8), "test:1"))
                .isInstanceOf(ParseException.class)
                .hasMessageContaining(reason);
    }

    private static String line(String file, int number) throws IOException {
        return Samples.lines(file).get(number - 1);
    }

    private static String book(String file) throws IOException {
        return Files.readString(Samples.path(BOOK + file));
    }

    /** A real record changed through Jackson's tree model, serialized compactly. */
    private static String edit(String record, Consumer<ObjectNode> change) throws IOException {
        ObjectNode root = (ObjectNode) SafeJson.mapper().readTree(record);
        change.accept(root);
        return SafeJson.mapper().writeValueAsString(root);
    }

    private static long nowNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
