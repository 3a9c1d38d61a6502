package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.aegirj.provision.cli.BinProvisionProcess.Exit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configuration-management integrations drive {@code bin/provision}: the Ansible module
 * {@code integrations/ansible/library/provision_context.py} through a real
 * {@code ansible-playbook} run of the example playbook, and the Puppet defined type
 * {@code provision::context} through {@code puppet parser validate} and real {@code puppet apply}
 * runs of the example manifest. Both create a server, a platform and an installed site (no web or
 * database service, so no servers are needed), change nothing on a second run, and remove them
 * again. Both run {@code provision} through a wrapper that logs every command line it is given
 * (and its parent's: Puppet's {@code sh -c} check) before it runs {@code bin/provision}: the secret
 * must be stored, and never be on a command line, where other local users would see it in the
 * process list. A Failsafe integration test: it needs {@code target/classes} and
 * {@code target/lib}. Skipped (not passed) when {@code ansible-playbook} or {@code puppet} is not
 * installed.
 */
class IntegrationsIT {
  private static final Path ROOT = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize().getParent();
  private static final Path PROVISION = ROOT.resolve("bin/provision");
  private static final Path ANSIBLE = ROOT.resolve("integrations/ansible");
  private static final Path PUPPET = ROOT.resolve("integrations/puppet");
  private static final String CRON_KEY = "cronkey-4f9a8b7c6d5e";
  private static final String NEW_CRON_KEY = "cronkey-new-0123";

  @TempDir
  Path tmp;

  private Path home;
  private Path platformRoot;
  /** The wrapper given to Ansible and Puppet as {@code provision}. */
  private Path wrapper;
  /** What the wrapper logs: each command line, and its parent's. */
  private Path argvLog;

  @BeforeEach
  void setUp() throws IOException {
    assertThat(Files.isExecutable(PROVISION)).as("%s is executable", PROVISION).isTrue();
    assertThat(ROOT.resolve("provision-cli/target/lib")).as("the dependencies are copied").isDirectory();
    home = tmp.resolve("home");
    platformRoot = tmp.resolve("platforms/d10");
    Files.createDirectories(platformRoot.resolve("core/lib"));
    Files.writeString(platformRoot.resolve("core/lib/Drupal.php"),
        "<?php\nclass Drupal {\n  const VERSION = '10.3.0';\n}\n");
    argvLog = tmp.resolve("argv.log");
    wrapper = Files.writeString(Files.createDirectories(tmp.resolve("bin")).resolve("provision"), String.join("\n",
        "#!/bin/sh",
        "# Logs the command line it is given, and its parent's, then runs the real provision.",
        "{",
        "  printf 'argv:'; for a in \"$@\"; do printf ' [%s]' \"$a\"; done; printf '\\n'",
        "  printf 'parent: '; tr '\\000' ' ' < /proc/$PPID/cmdline; printf '\\n'",
        "} >> '" + argvLog + "'",
        "exec '" + PROVISION + "' \"$@\"",
        ""));
    Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwx------"));
  }

  /** Asserts that provision ran, saved from standard input or a file, and never had a secret on a command line. */
  private void assertNoSecretOnACommandLine(String how) throws IOException {
    String log = Files.readString(argvLog);
    assertThat(log).as("the wrapper logged the runs of provision").contains("argv: [--home]");
    assertThat(log).as("save read its properties %s", how).contains("[save]").contains(how);
    assertThat(log).as("no secret was on a command line, provision's or its parent's")
        .doesNotContain(CRON_KEY).doesNotContain(NEW_CRON_KEY);
  }

  @Test
  void ansiblePlaybookCreatesChangesNothingTheSecondTimeChecksRemovesAndReportsErrors() throws Exception {
    Path playbook = onPath("ansible-playbook").orElse(null);
    assumeTrue(playbook != null, "ansible-playbook is not installed (bin/install-packages installs it)");

    JsonNode first = example(playbook);
    assertThat(stats(first, "failures")).as("first run: no failures").isZero();
    assertThat(stats(first, "changed")).as("first run: the server, the platform and the site").isEqualTo(3);
    assertCreated();
    assertThat(first.toString()).as("the cron key never appears in the output").doesNotContain(CRON_KEY);
    JsonNode site = taskResult(first, 2);
    assertThat(site.get("tasks").toString()).as("the new site was installed").isEqualTo("[\"install\"]");
    assertThat(site.get("properties").get("cron_key").asText()).as("a secret is returned redacted").isEqualTo("****");

    Map<String, String> before = tree(home);
    JsonNode second = example(playbook);
    assertThat(stats(second, "changed")).as("second run: changed=0").isZero();
    assertThat(stats(second, "failures")).as("second run: no failures").isZero();

    JsonNode check = example(playbook, "--check", "--diff", "-e", "site_cron_key=cronkey-new-0123");
    assertThat(tree(home)).as("check mode changes nothing on disk").isEqualTo(before);
    assertThat(stats(check, "changed")).as("check mode: the site would change").isEqualTo(1);
    JsonNode wouldChange = taskResult(check, 2);
    assertThat(wouldChange.get("changed_properties").toString()).as("what would change").isEqualTo("[\"cron_key\"]");
    assertThat(wouldChange.get("plan").get("status").asText()).as("provision plan's report is included")
        .isEqualTo("planned");
    assertThat(wouldChange.get("plan").get("task").asText()).as("the task that would run").isEqualTo("verify");
    assertThat(wouldChange.get("diff").toString()).as("the diff, secrets redacted").contains("cron_key = ****")
        .doesNotContain(CRON_KEY);
    assertThat(check.toString()).as("neither key appears").doesNotContain(NEW_CRON_KEY).doesNotContain(CRON_KEY);

    JsonNode changed = example(playbook, "-e", "site_cron_key=" + NEW_CRON_KEY);
    assertThat(stats(changed, "changed")).as("a new cron key: the site changes").isEqualTo(1);
    assertThat(taskResult(changed, 2).get("changed_properties").toString()).as("only the cron key changed")
        .isEqualTo("[\"cron_key\"]");
    assertThat(value(show("@example.com"), "cron_key")).as("the new key is stored").isEqualTo(NEW_CRON_KEY);
    assertThat(changed.toString()).as("and never shown").doesNotContain(NEW_CRON_KEY);
    assertNoSecretOnACommandLine("[--properties-from=-]");

    assertThat(tree(tmp.resolve("ansible")).toString()).as("no secret left in Ansible's files")
        .doesNotContain(CRON_KEY).doesNotContain(NEW_CRON_KEY);

    JsonNode absent = example(playbook, "-e", "state=absent");
    assertThat(stats(absent, "failures")).as("state=absent: no failures").isZero();
    assertThat(stats(absent, "changed")).as("state=absent: one task, changed").isEqualTo(1);
    assertRemoved();

    Path failing = Files.writeString(tmp.resolve("failing.yml"), String.join("\n",
        "- hosts: localhost",
        "  connection: local",
        "  gather_facts: false",
        "  tasks:",
        "    - provision_context: {name: server_x, type: server, provision: '" + PROVISION + "', home: '" + home + "',",
        "        properties: {frob: 1}}",
        "      ignore_errors: true",
        "    - provision_context: {name: platform_x, type: platform, provision: '" + PROVISION + "', home: '" + home + "',",
        "        properties: {root: '" + tmp.resolve("missing") + "'}}",
        "      ignore_errors: true",
        "    - provision_context: {name: server_y, type: server, provision: '" + PROVISION + "', home: '" + home + "',",
        "        properties: {admin_email: \"a@b.com\\ncron_key=" + NEW_CRON_KEY + "\"}}",
        "      ignore_errors: true",
        ""));
    JsonNode failed = ansible(playbook, failing);
    assertThat(stats(failed, "ignored")).as("the three tasks failed").isEqualTo(3);
    JsonNode refused = taskResult(failed, 0);
    assertThat(refused.get("msg").asText()).as("the CLI's message").contains("@server_x: property 'frob'");
    assertThat(refused.get("rc").asInt()).as("refused input: rc 2").isEqualTo(2);
    JsonNode verifyFailed = taskResult(failed, 1);
    assertThat(verifyFailed.get("error_type").asText()).as("the verify failed").isEqualTo("task_failed");
    assertThat(verifyFailed.get("msg").asText()).as("the CLI's message").contains("verify @platform_x: failed");
    assertThat(verifyFailed.get("reverted").asBoolean()).as("the new platform was deleted again").isTrue();
    JsonNode lineBreak = taskResult(failed, 2);
    assertThat(lineBreak.get("msg").asText()).as("a value with a line break would be two lines on stdin: refused")
        .isEqualTo("property 'admin_email': line breaks and NUL are not allowed in a value");
    assertRemoved();
  }

  @Test
  void puppetApplyCreatesChangesNothingTheSecondTimeAndRemoves() throws Exception {
    Path puppet = onPath("puppet").orElse(null);
    assumeTrue(puppet != null, "puppet is not installed (bin/install-packages installs it)");

    Path module = PUPPET.resolve("provision");
    Exit valid = run(List.of(puppet.toString(), "parser", "validate",
        module.resolve("manifests/init.pp").toString(), module.resolve("manifests/context.pp").toString(),
        module.resolve("functions/json_string.pp").toString(),
        module.resolve("examples/contexts.pp").toString()), Map.of());
    assertThat(valid.status()).as("puppet parser validate (stderr: %s)", valid.err()).isZero();

    Exit first = puppetApply(puppet, "present");
    assertThat(first.status()).as("first apply: changes (2 with --detailed-exitcodes); stderr: %s", first.err())
        .isEqualTo(2);
    assertCreated();

    Path propertiesDir = tmp.resolve("puppet/var/provision");
    Path siteProperties = propertiesDir.resolve("example.com.properties");
    assertThat(Files.readString(siteProperties)).as("the site's properties file holds the secret")
        .contains("cron_key=" + CRON_KEY + "\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(siteProperties)))
        .as("the properties file is the owner's only").isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(propertiesDir)))
        .as("so is its directory").isEqualTo("rwx------");
    assertNoSecretOnACommandLine("[--properties-from=" + siteProperties + "]");

    Map<String, String> before = tree(home);
    Exit second = puppetApply(puppet, "present");
    assertThat(second.status()).as("second apply: no changes (0); stdout: %s", second.out()).isZero();
    assertThat(tree(home)).as("the second apply changed nothing on disk").isEqualTo(before);
    assertNoSecretOnACommandLine("[--properties-from=" + siteProperties + "]");

    assertThat(first.out() + first.err() + second.out() + second.err()).as("Puppet's output never shows the secret")
        .doesNotContain(CRON_KEY);
    Map<String, String> puppetFiles = tree(tmp.resolve("puppet"));
    puppetFiles.keySet().removeIf(f -> f.startsWith("var/provision/"));
    assertThat(puppetFiles.toString()).as("nor do its reports and state files (beside the properties files)")
        .doesNotContain(CRON_KEY);

    // A context dropped from a manifest leaves no properties file (and no secret) behind.
    Files.writeString(propertiesDir.resolve("dropped.example.com.properties"), "cron_key=" + CRON_KEY + "\n");
    Exit absent = puppetApply(puppet, "absent");
    assertThat(absent.status()).as("ensure=absent applies (stderr: %s)", absent.err()).isEqualTo(2);
    assertRemoved();
    try (Stream<Path> left = Files.list(propertiesDir)) {
      assertThat(left.toList()).as("the properties files are removed with their contexts, and any other").isEmpty();
    }
  }

  private void assertCreated() {
    JsonNode server = show("@server_web");
    assertThat(value(server, "remote_host")).as("@server_web remote_host").isEqualTo("localhost");
    assertThat(value(server, "admin_email")).as("@server_web admin_email").isEqualTo("hostmaster@example.com");
    JsonNode platform = show("@platform_d10");
    assertThat(value(platform, "root")).as("@platform_d10 root").isEqualTo(platformRoot.toString());
    assertThat(value(platform, "web_server")).as("@platform_d10 web_server").isEqualTo("@server_web");
    JsonNode site = show("@example.com");
    assertThat(value(site, "platform")).as("@example.com platform").isEqualTo("@platform_d10");
    assertThat(site.get("properties").get("aliases").get("value").toString()).as("@example.com aliases")
        .isEqualTo("[\"www.example.com\",\"example.org\"]");
    assertThat(value(site, "install_method")).as("@example.com install_method").isEqualTo("manual");
    assertThat(value(site, "installed")).as("@example.com is installed").isEqualTo("true");
    assertThat(value(site, "cron_key")).as("@example.com cron_key, a secret").isEqualTo(CRON_KEY);
    assertThat(platformRoot.resolve("sites/example.com/settings.php")).as("install wrote settings.php")
        .isRegularFile();
  }

  private void assertRemoved() {
    JsonNode list = Cli.raw("--home", home.toString(), "list", "--json").json();
    assertThat(list.get("contexts").toString()).as("only the master is left")
        .isEqualTo("[{\"name\":\"@server_master\",\"context_type\":\"server\"}]");
    assertThat(platformRoot.resolve("sites/example.com")).as("the site directory is removed").doesNotExist();
    assertThat(platformRoot.resolve("core/lib/Drupal.php")).as("the code base stays").exists();
  }

  private JsonNode show(String name) {
    Cli.Outcome o = Cli.raw("--home", home.toString(), "show", name, "--json", "--show-secrets");
    assertThat(o.exit()).as("show %s (stderr: %s)", name, o.err()).isZero();
    return o.json().get("context");
  }

  private static String value(JsonNode context, String property) {
    return context.get("properties").get(property).get("value").asText();
  }

  /** Runs the example playbook with this test's paths. */
  private JsonNode example(Path ansiblePlaybook, String... extra) throws IOException, InterruptedException {
    List<String> arguments = new ArrayList<>(List.of(ANSIBLE.resolve("example-playbook.yml").toString(),
        "-e", "provision_bin=" + wrapper, "-e", "provision_home=" + home, "-e", "platform_root=" + platformRoot));
    arguments.addAll(List.of(extra));
    return ansiblePlaybook(ansiblePlaybook, arguments);
  }

  /** Runs a playbook of this test's own. */
  private JsonNode ansible(Path ansiblePlaybook, Path playbook) throws IOException, InterruptedException {
    return ansiblePlaybook(ansiblePlaybook, List.of(playbook.toString()));
  }

  private JsonNode ansiblePlaybook(Path ansiblePlaybook, List<String> arguments)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(ansiblePlaybook.toString(), "-i", "localhost,"));
    command.addAll(arguments);
    Map<String, String> env = new HashMap<>();
    env.put("ANSIBLE_LIBRARY", ANSIBLE.resolve("library").toString());
    env.put("ANSIBLE_HOME", tmp.resolve("ansible").toString());
    env.put("ANSIBLE_LOCAL_TEMP", tmp.resolve("ansible/tmp").toString());
    env.put("ANSIBLE_REMOTE_TEMP", tmp.resolve("ansible/remote-tmp").toString());
    env.put("ANSIBLE_CONFIG", ANSIBLE.resolve("ansible.cfg").toString());
    env.put("ANSIBLE_STDOUT_CALLBACK", "json");
    env.put("ANSIBLE_PYTHON_INTERPRETER", "auto_silent");
    env.put("ANSIBLE_RETRY_FILES_ENABLED", "false");
    env.put("ANSIBLE_NOCOLOR", "1");
    env.put("LC_ALL", "C.UTF-8"); // ansible-core refuses to run under a locale that is not UTF-8
    Exit exit = run(command, env);
    assertThat(exit.status()).as("ansible-playbook %s exits with 0 (stdout: %s, stderr: %s)", arguments,
        exit.out(), exit.err()).isZero();
    return Cli.MAPPER.readTree(exit.out());
  }

  private static int stats(JsonNode run, String field) {
    return run.get("stats").get("localhost").get(field).asInt();
  }

  /** The result of the playbook's task number {@code index} on localhost. */
  private static JsonNode taskResult(JsonNode run, int index) {
    return run.get("plays").get(0).get("tasks").get(index).get("hosts").get("localhost");
  }

  private Exit puppetApply(Path puppet, String ensure) throws IOException, InterruptedException {
    Path dir = tmp.resolve("puppet");
    List<String> command = List.of(puppet.toString(), "apply", "--detailed-exitcodes", "--color=false",
        "--confdir", dir.resolve("conf").toString(), "--vardir", dir.resolve("var").toString(),
        "--codedir", dir.resolve("code").toString(), "--logdir", dir.resolve("log").toString(),
        "--rundir", dir.resolve("run").toString(),
        "--modulepath", PUPPET.toString(), PUPPET.resolve("provision/examples/contexts.pp").toString());
    return run(command, Map.of("FACTER_provision_bin", wrapper.toString(), "FACTER_provision_home",
        home.toString(), "FACTER_platform_root", platformRoot.toString(), "FACTER_provision_ensure", ensure));
  }

  private Exit run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
    return BinProvisionProcess.exec(command, Files.createDirectories(tmp.resolve("cwd")), env, Duration.ofSeconds(600));
  }


  private static Optional<Path> onPath(String command) {
    String path = Optional.ofNullable(System.getenv("PATH")).orElse("/usr/bin:/bin");
    return Stream.of(path.split(File.pathSeparator)).filter(d -> !d.isEmpty())
        .map(d -> Path.of(d, command)).filter(Files::isExecutable).findFirst();
  }

  /** Every file under {@code dir} (symbolic links not followed) with its content. */
  private static Map<String, String> tree(Path dir) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path f : walk.toList()) {
        String key = dir.relativize(f).toString();
        if (Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          files.put(key, Files.readString(f, StandardCharsets.ISO_8859_1));
        } else {
          files.put(key, Files.isDirectory(f, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? "<dir>" : "<other>");
        }
      }
    }
    return files;
  }
}
