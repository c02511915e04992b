package dev.bulwark.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import dev.bulwark.config.Field;
import dev.bulwark.config.Settings;
import dev.bulwark.detection.Detectors;
import dev.bulwark.detectors.api.Detector;

/** {@code bulwark config show|docs}: the configuration in effect, and the generated configuration documentation. */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = "Show the configuration in effect (secrets masked), or regenerate its documentation.",
        subcommands = {ConfigCommand.Show.class, ConfigCommand.Docs.class})
final class ConfigCommand implements Callable<Integer> {

    @ParentCommand
    BulwarkCommand parent;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.out);
        return 0;
    }

    /** Every key, its value in effect and where it came from. */
    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Print every key with the value in effect and its source (default, file, environment); secrets "
                    + "are masked. Also checks every detector's settings.")
    static final class Show implements Callable<Integer> {
        @ParentCommand
        ConfigCommand config;

        @Override
        public Integer call() throws Exception {
            Settings settings = BulwarkConfig.settings(config.parent.config, System.getenv());
            BulwarkConfig loaded = BulwarkConfig.load(config.parent.config, System.getenv());
            List<Detector> detectors = Detectors.discover(Detectors.withPlugins(
                    loaded.detection.plugins.stream().map(Path::of).toList()));
            Map<String, Settings> perDetector = Detectors.settings(detectors, loaded.detection.detectors);
            print(settings);
            perDetector.values().forEach(ConfigCommand::print);
            return 0;
        }
    }

    private static void print(Settings settings) {
        for (Field<?> field : settings.fields().fields()) {
            System.out.printf("%-58s %-32s %s%n", settings.fields().key(field), value(settings, field),
                    settings.source(field) == null ? "unset" : settings.source(field).name().toLowerCase(java.util.Locale.ROOT)
                            + (settings.source(field) == Settings.Source.ENVIRONMENT ? " " + field.env() : ""));
        }
    }

    private static <T> String value(Settings settings, Field<T> field) {
        T value = settings.get(field);
        return value == null ? "-" : field.type().render(value);
    }

    /** Regenerates README's table, bulwark.example.yaml and docs/configuration.md in a checkout. */
    @Command(name = "docs", mixinStandardHelpOptions = true,
            description = "Regenerate the configuration table in README.md, bulwark.example.yaml and docs/configuration.md "
                    + "from the declarations (a checkout command); without --write, exit 1 when any is stale.")
    static final class Docs implements Callable<Integer> {
        @Option(names = "--write", description = "Rewrite the stale files.")
        boolean write;

        @Option(names = "--root", description = "The checkout (default: found from the working folder).")
        Path root;

        @Override
        public Integer call() throws Exception {
            Path checkout = root != null ? root : dev.bulwark.deploy.LocalStack.findRepoRoot();
            int stale = 0;
            for (Map.Entry<Path, String> file : generated(checkout).entrySet()) {
                String current = Files.isRegularFile(file.getKey())
                        ? Files.readString(file.getKey(), StandardCharsets.UTF_8) : "";
                if (current.equals(file.getValue())) {
                    continue;
                }
                stale++;
                if (write) {
                    Files.writeString(file.getKey(), file.getValue(), StandardCharsets.UTF_8);
                    BulwarkCommand.say("wrote " + checkout.relativize(file.getKey()));
                } else {
                    BulwarkCommand.say("stale: " + checkout.relativize(file.getKey()) + " (run: ./bulwark config docs --write)");
                }
            }
            if (stale == 0) {
                BulwarkCommand.say("configuration docs are up to date");
            }
            return write || stale == 0 ? 0 : 1;
        }
    }

    /** Each generated file of the checkout and its content as the code declares it. */
    static Map<Path, String> generated(Path checkout) throws java.io.IOException {
        List<Detector> detectors = Detectors.discover();
        Path readme = checkout.resolve("README.md");
        return Map.of(
                readme, ConfigDocs.readme(Files.readString(readme, StandardCharsets.UTF_8)),
                checkout.resolve("bulwark.example.yaml"), ConfigDocs.exampleYaml(detectors),
                checkout.resolve("docs/configuration.md"), ConfigDocs.reference(detectors));
    }
}
