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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import net.aegirj.provision.cli.BinProvisionProcess.Exit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configuration-management integrations drive {@code bin/provision}: the Ansible collection
 * {@code aegirj.provision} ({@code integrations/ansible/ansible_collections/aegirj/provision}) by
 * its fully qualified names through real {@code ansible-playbook} runs (the example playbook with
 * {@code aegirj.provision.context}, and {@code aegirj.provision.task}), its files through
 * {@code ansible-test sanity} and {@code ansible-doc}, and the Puppet module's native type
 * {@code provision_context} (and its wrapper, the defined type {@code provision::context}) through
 * {@code puppet parser validate} and real {@code puppet apply} runs of the example manifest. Both
 * create a server, a platform and an installed site (no web or database service, so no servers
 * are needed), change nothing on a second run, and remove them again. Both run {@code provision}
 * through a wrapper that logs every command line it is given (and its parent's) before it runs
 * {@code bin/provision}: the secret must be stored, and never be on a command line, where other
 * local users would see it in the process list. A Failsafe integration test: it needs
 * {@code target/classes} and {@code target/lib}. Skipped (not passed) when
 * {@code ansible-playbook}, {@code ansible-test} or {@code puppet} is not installed.
 */
class IntegrationsIT {
  private static final Path ROOT = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize().getParent();
  private static final Path PROVISION = ROOT.resolve("bin/provision");
  private static final Path ANSIBLE = ROOT.resolve("integrations/ansible");
  private static final Path COLLECTION = ANSIBLE.resolve("ansible_collections/aegirj/provision");
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
        "    - aegirj.provision.context: {name: server_x, type: server, provision: '" + PROVISION + "', home: '" + home + "',",
        "        properties: {frob: 1}}",
        "      ignore_errors: true",
        "    - aegirj.provision.context: {name: platform_x, type: platform, provision: '" + PROVISION + "', home: '" + home + "',",
        "        properties: {root: '" + tmp.resolve("missing") + "'}}",
        "      ignore_errors: true",
        "    - aegirj.provision.context: {name: server_y, type: server, provision: '" + PROVISION + "', home: '" + home + "',",
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
  void ansibleTaskModuleTakesChangedFromTheReportAndPlansInCheckMode() throws Exception {
    Path playbook = onPath("ansible-playbook").orElse(null);
    assumeTrue(playbook != null, "ansible-playbook is not installed (bin/install-packages installs it)");

    // A server with no services, saved without a verify: its first verify makes its directories.
    String defaults = "{provision: '" + wrapper + "', home: '" + home + "'}";
    Path create = Files.writeString(tmp.resolve("create.yml"), String.join("\n",
        "- hosts: localhost",
        "  connection: local",
        "  gather_facts: false",
        "  module_defaults:",
        "    aegirj.provision.context: " + defaults,
        "  tasks:",
        "    - aegirj.provision.context: {name: server_t, type: server, verify: false,",
        "        properties: {remote_host: localhost}}",
        ""));
    Path verify = Files.writeString(tmp.resolve("verify.yml"), String.join("\n",
        "- hosts: localhost",
        "  connection: local",
        "  gather_facts: false",
        "  module_defaults:",
        "    aegirj.provision.task: " + defaults,
        "  tasks:",
        "    - name: verify",
        "      aegirj.provision.task: {name: server_t, task: verify}",
        "    - name: install on a server is refused",
        "      aegirj.provision.task: {name: server_t, task: install}",
        "      ignore_errors: true",
        ""));
    assertThat(stats(ansible(playbook, create), "changed")).as("the server is saved").isEqualTo(1);
    Path configDir = home.resolve("config/server_t");
    assertThat(configDir).as("not verified yet").doesNotExist();

    Map<String, String> before = tree(home);
    JsonNode check = ansible(playbook, verify, "--check");
    JsonNode planned = taskResult(check, 0);
    assertThat(tree(home)).as("check mode changes nothing on disk").isEqualTo(before);
    assertThat(planned.get("changed").asBoolean()).as("check mode: the first verify would change something").isTrue();
    assertThat(planned.get("plan").get("status").asText()).as("check mode ran provision plan").isEqualTo("planned");
    assertThat(planned.get("changed_paths").toString()).as("the paths it would change")
        .contains(configDir.toString());
    assertThat(Files.readString(argvLog)).as("check mode ran plan, and no verify")
        .contains("[plan] [@server_t] [verify] [--json]").doesNotContain("[verify] [@server_t]");

    JsonNode first = ansible(playbook, verify);
    JsonNode verified = taskResult(first, 0);
    assertThat(verified.get("changed").asBoolean()).as("the first verify changed something").isTrue();
    assertThat(verified.get("report").get("status").asText()).as("the task's report").isEqualTo("succeeded");
    assertThat(verified.get("changed_paths").toString()).as("what it changed").contains(configDir.toString());
    assertThat(configDir).as("verify made the server's config directory").isDirectory();
    JsonNode refused = taskResult(first, 1);
    assertThat(refused.get("failed").asBoolean()).as("install does not apply to a server").isTrue();
    assertThat(refused.get("msg").asText()).as("the CLI's message").contains("the install task does not apply to a server");
    assertThat(refused.get("error_type").asText()).as("its error type").isEqualTo("invalid_context");
    assertThat(refused.get("rc").asInt()).as("refused input: rc 2").isEqualTo(2);

    JsonNode again = ansible(playbook, verify);
    assertThat(taskResult(again, 0).get("changed").asBoolean()).as("a verify that changes nothing: changed=false")
        .isFalse();
    assertThat(stats(again, "changed")).as("second run: changed=0").isZero();
    assertThat(taskResult(again, 0).get("report").get("steps").get(0).get("status").asText())
        .as("the report says why: the step found everything in place").isEqualTo("unchanged");

    JsonNode checkAgain = ansible(playbook, verify, "--check");
    assertThat(taskResult(checkAgain, 0).get("changed").asBoolean()).as("check mode: nothing would change now")
        .isFalse();
    assertThat(Files.readString(argvLog)).as("the task module ran provision with --json")
        .contains("argv: [--home] [" + home + "] [verify] [@server_t] [--json]");
  }

  /**
   * {@code aegirj.provision.contexts}: five contexts in three runs of the command line (one save
   * of JSON lines, one batch verify), nothing run twice, and a refused context named without
   * stopping the others.
   */
  @Test
  void ansibleContextsModuleSavesManyContextsInOneRun() throws Exception {
    Path playbook = onPath("ansible-playbook").orElse(null);
    assumeTrue(playbook != null, "ansible-playbook is not installed (bin/install-packages installs it)");
    String defaults = "{provision: '" + wrapper + "', home: '" + home + "'}";
    List<String> lines = new ArrayList<>(List.of(
        "- hosts: localhost",
        "  connection: local",
        "  gather_facts: false",
        "  module_defaults:",
        "    aegirj.provision.contexts: " + defaults,
        "  tasks:",
        "    - aegirj.provision.contexts:",
        "        contexts:"));
    for (int i = 0; i < 5; i++) {
      lines.add("          - {name: server_m" + i + ", type: server, properties: {remote_host: localhost}}");
    }
    Path many = Files.writeString(tmp.resolve("many.yml"), String.join("\n", lines) + "\n");
    long runsBefore = argvRuns();
    JsonNode first = ansible(playbook, many);
    JsonNode r = taskResult(first, 0);
    assertThat(r.get("changed").asBoolean()).as("five new contexts: changed").isTrue();
    assertThat(r.get("saved")).as("all five saved").hasSize(5);
    assertThat(r.get("verified")).as("and verified").hasSize(5);
    assertThat(home.resolve("config/server_m4")).as("verify ran for the last one too").isDirectory();
    assertThat(argvRuns() - runsBefore).as("one save and one batch verify: two runs of provision, not ten")
        .isEqualTo(2);
    assertThat(Files.readString(argvLog)).as("the batch names every context on one command line")
        .contains("[verify] [@server_m0] [@server_m1] [@server_m2] [@server_m3] [@server_m4] [--json]")
        .contains("[save] [--from=-] [--json]");

    JsonNode second = ansible(playbook, many);
    assertThat(taskResult(second, 0).get("changed").asBoolean()).as("the second run changes nothing").isFalse();
    assertThat(argvRuns() - runsBefore).as("and runs provision once (the save)").isEqualTo(3);

    Path bad = Files.writeString(tmp.resolve("bad.yml"), String.join("\n", lines.subList(0, 8)) + "\n"
        + "          - {name: server_ok, type: server, properties: {remote_host: localhost}}\n"
        + "          - {name: server_bad, type: server, properties: {http_port: not-a-port}}\n"
        + "      ignore_errors: true\n");
    JsonNode failed = taskResult(ansible(playbook, bad), 0);
    assertThat(failed.get("failed").asBoolean()).as("a refused context fails the task").isTrue();
    assertThat(failed.get("msg").asText()).as("naming it and why").contains("@server_bad", "http_port");
    assertThat(home.resolve("contexts")).as("the good one is saved all the same")
        .isDirectoryRecursivelyContaining(f -> f.getFileName().toString().startsWith("server_ok"));
  }

  private long argvRuns() throws IOException {
    return Files.exists(argvLog) ? Files.readAllLines(argvLog).stream().filter(l -> l.startsWith("argv:")).count() : 0;
  }

  @Test
  void ansibleCollectionPassesAnsibleTestSanityAndAnsibleDoc() throws Exception {
    Path ansibleTest = onPath("ansible-test").orElse(null);
    assumeTrue(ansibleTest != null, "ansible-test is not installed (Debian's ansible-core package has it)");

    // ansible-test wants the collection at .../ansible_collections/aegirj/provision, and writes
    // tests/output there: a copy in the temporary directory.
    Path copy = tmp.resolve("sanity/ansible_collections/aegirj/provision");
    copyTree(COLLECTION, copy);
    AnsibleTest sanity = new AnsibleTest(ansibleTest, copy);
    Exit passed = sanity.run();
    assertThat(passed.status()).as("ansible-test sanity passes (skipped for want of their Python packages: %s);"
        + " stdout: %s, stderr: %s", sanity.skipped, passed.out(), passed.err()).isZero();
    for (String test : List.of("ansible-doc", "compile", "import", "no-assert", "shebang", "future-import-boilerplate",
        "metaclass-boilerplate", "line-endings", "use-argspec-type-path")) {
      assertThat(passed.out() + passed.err()).as("the sanity test %s ran", test)
          .containsPattern("Running sanity test \"" + test + "\"");
    }
    for (String test : List.of("validate-modules", "runtime-metadata", "yamllint", "pep8", "pylint")) {
      if (!sanity.skipped.contains(test)) {
        assertThat(passed.out() + passed.err()).as("the sanity test %s ran", test)
            .contains("Running sanity test \"" + test + "\"");
      }
    }

    // The checks can fail: an assert and an undocumented option in a copy of the task module.
    Path task = copy.resolve("plugins/modules/task.py");
    String module = Files.readString(task);
    Files.writeString(task, module.replace("            home=dict(type='path'),\n",
        "            home=dict(type='path'),\n            frob=dict(type='str'),\n")
        .replace("    cli = Cli(module)\n", "    assert p['frob'] is None\n    cli = Cli(module)\n"));
    List<String> tests = new ArrayList<>(List.of("--test", "no-assert"));
    if (!sanity.skipped.contains("validate-modules")) {
      tests.addAll(List.of("--test", "validate-modules"));
    }
    Exit broken = sanity.run(tests.toArray(String[]::new));
    assertThat(broken.status()).as("ansible-test sanity fails on the broken copy").isNotZero();
    assertThat(broken.out() + broken.err()).as("it names the assert").contains("plugins/modules/task.py")
        .contains("raise AssertionError instead of");
    if (!sanity.skipped.contains("validate-modules")) {
      assertThat(broken.out() + broken.err()).as("and the undocumented option").contains("undocumented-parameter");
    }

    // The documentation, as ansible-doc reads it by the fully qualified names.
    Path ansibleDoc = onPath("ansible-doc").orElse(null);
    assumeTrue(ansibleDoc != null, "ansible-doc is not installed");
    Exit doc = run(List.of(ansibleDoc.toString(), "--json", "-t", "module", "aegirj.provision.context",
        "aegirj.provision.task"), ansibleEnv());
    assertThat(doc.status()).as("ansible-doc reads both modules (stderr: %s)", doc.err()).isZero();
    JsonNode docs = Cli.MAPPER.readTree(doc.out());
    for (String name : List.of("aegirj.provision.context", "aegirj.provision.task")) {
      JsonNode d = docs.get(name);
      assertThat(d).as("%s is documented", name).isNotNull();
      JsonNode attributes = d.get("doc").get("attributes");
      assertThat(attributes.get("check_mode").get("support").asText()).as("%s supports check mode", name)
          .isEqualTo("full");
      assertThat(attributes.has("diff_mode")).as("%s says whether it supports diff mode", name).isTrue();
      assertThat(d.get("doc").get("requirements").toString()).as("%s names its requirements", name)
          .contains("provision");
      assertThat(d.get("examples").asText()).as("%s's examples use its fully qualified name", name).contains(name + ":");
      assertThat(d.get("return").size()).as("%s documents what it returns", name).isPositive();
    }
    assertThat(docs.get("aegirj.provision.context").get("doc").get("attributes").get("diff_mode").get("support")
        .asText()).as("the context module supports diff mode").isEqualTo("full");
  }

  /**
   * Runs {@code ansible-test sanity --local} offline on a copy of the collection. ansible-test
   * installs each test's pinned Python packages into a virtual environment of its own with pip,
   * from the network; here the environment is made beforehand, once per test, from the interpreter
   * ansible-test runs with and its system packages (Debian's {@code python3-voluptuous},
   * {@code yamllint}, {@code python3-pycodestyle}, {@code pylint}), and marked as made. A test whose
   * package is not installed is skipped ({@code --skip-test}), and named in {@link #skipped}.
   */
  private final class AnsibleTest {
    private final Path executable;
    private final Path collection;
    private final String python;
    private final Map<String, String> env = new HashMap<>();
    final List<String> skipped = new ArrayList<>();

    AnsibleTest(Path executable, Path collection) throws IOException, InterruptedException {
      this.executable = executable;
      this.collection = collection;
      String shebang = Files.readAllLines(executable).get(0);
      python = shebang.startsWith("#!") ? shebang.substring(2).trim().split("\\s+")[0] : "/usr/bin/python3";
      env.put("HOME", Files.createDirectories(tmp.resolve("sanity-home")).toString());
      env.put("LC_ALL", "C.UTF-8");
      Map<String, String> packages = Map.of("validate-modules", "voluptuous", "runtime-metadata", "voluptuous",
          "yamllint", "yamllint", "pep8", "pycodestyle", "pylint", "pylint");
      for (Map.Entry<String, String> p : new TreeMap<>(packages).entrySet()) {
        if (IntegrationsIT.this.run(List.of(python, "-c", "import " + p.getValue()), env).status() != 0) {
          skipped.add(p.getKey());
        }
      }
      prime();
    }

    /** Makes the virtual environments ansible-test asks for, until it asks for none. */
    private void prime() throws IOException, InterruptedException {
      Pattern wanted = Pattern.compile("Python [0-9.]+ at \"([^\"]+)/bin/python\" does not have pip available");
      for (int i = 0; i < 20; i++) {
        Exit primed = run("--prime-venvs");
        Matcher m = wanted.matcher(primed.out() + primed.err());
        if (!m.find()) {
          assertThat(primed.status()).as("ansible-test sanity --prime-venvs (stdout: %s, stderr: %s)", primed.out(),
              primed.err()).isZero();
          return;
        }
        Path venv = Path.of(m.group(1));
        assertThat(venv.startsWith(tmp)).as("ansible-test keeps its environments under HOME, here %s", venv).isTrue();
        Exit made = IntegrationsIT.this.run(List.of(python, "-m", "venv", "--system-site-packages", "--without-pip",
            venv.toString()), env);
        assertThat(made.status()).as("python -m venv %s (stderr: %s)", venv, made.err()).isZero();
        Files.writeString(venv.resolve("meta.install.json"), "[]");
        Exit yaml = IntegrationsIT.this.run(List.of(python, "-c", "import yaml; print(yaml.__with_libyaml__)"), env);
        Files.writeString(venv.resolve("meta.yaml.json"), yaml.out().trim().equals("True") ? "true" : "false");
        Files.writeString(venv.resolve("marker.txt"), "made by IntegrationsIT from " + python + "\n");
      }
      throw new AssertionError("ansible-test kept asking for virtual environments");
    }

    /** Runs {@code ansible-test sanity --local} with the interpreter, the skipped tests and {@code extra}. */
    Exit run(String... extra) throws IOException, InterruptedException {
      List<String> command = new ArrayList<>(List.of(executable.toString(), "sanity", "--local",
          "--python-interpreter", python, "--color", "no"));
      for (String test : skipped) {
        command.addAll(List.of("--skip-test", test));
      }
      command.addAll(List.of(extra));
      return BinProvisionProcess.exec(command, collection, env, Duration.ofSeconds(600));
    }
  }

  @Test
  void puppetApplyCreatesChangesNothingTheSecondTimeAndRemoves() throws Exception {
    Path puppet = onPath("puppet").orElse(null);
    assumeTrue(puppet != null, "puppet is not installed (bin/install-packages installs it)");

    Path module = PUPPET.resolve("provision");
    Exit valid = run(List.of(puppet.toString(), "parser", "validate",
        module.resolve("manifests/init.pp").toString(), module.resolve("manifests/context.pp").toString(),
        module.resolve("examples/contexts.pp").toString()), Map.of());
    assertThat(valid.status()).as("puppet parser validate (stderr: %s)", valid.err()).isZero();
    JsonNode metadata = Cli.MAPPER.readTree(module.resolve("metadata.json").toFile());
    assertThat(metadata.get("name").asText()).as("metadata.json names the module").isEqualTo("aegirj-provision");
    assertThat(metadata.get("license").asText()).as("metadata.json: the project's licence").isEqualTo("Apache-2.0");

    Exit first = puppetApply(puppet, "present", module.resolve("examples/contexts.pp"));
    assertThat(first.status()).as("first apply: changes (2 with --detailed-exitcodes); stderr: %s", first.err())
        .isEqualTo(2);
    assertThat(first.out()).as("the native type made them")
        .contains("Provision_context[server_web]/ensure: created")
        .contains("Provision_context[example.com]/ensure: created");
    assertCreated();
    assertNoSecretOnACommandLine("[--properties-from=-]");

    Map<String, String> before = tree(home);
    long runsBefore = argvRuns();
    Exit second = puppetApply(puppet, "present", module.resolve("examples/contexts.pp"));
    assertThat(argvRuns() - runsBefore).as("the provider reads the three contexts in one run of provision")
        .isEqualTo(1);
    assertThat(Files.readString(argvLog)).as("one show of all three names")
        .contains("[show] [@server_web] [@platform_d10] [@example.com] [--show-secrets] [--json]");
    assertThat(second.status()).as("second apply: no changes (0); stdout: %s, stderr: %s", second.out(), second.err())
        .isZero();
    assertThat(tree(home)).as("the second apply changed nothing on disk").isEqualTo(before);
    assertThat(Files.readString(argvLog).lines().filter(l -> l.startsWith("argv:") && l.contains("[save]")).count())
        .as("the second apply saved nothing: three saves, the first apply's").isEqualTo(3);

    // The defined type provision::context, a wrapper of the native type: a new secret for the site.
    Path propertiesDir = tmp.resolve("puppet/var/provision");
    Files.createDirectories(propertiesDir);
    Files.writeString(propertiesDir.resolve("example.com.properties"), "cron_key=" + CRON_KEY + "\n");
    Path wrapped = Files.writeString(tmp.resolve("wrapped.pp"), String.join("\n",
        "provision::context { 'example.com':",
        "  type       => 'site',",
        "  install    => true,",
        "  provision  => '" + wrapper + "',",
        "  home       => '" + home + "',",
        "  properties => { 'platform' => 'Platform_D10', 'cron_key' => Sensitive('" + NEW_CRON_KEY + "') },",
        "}",
        ""));
    Exit changed = puppetApply(puppet, "present", wrapped);
    assertThat(changed.status()).as("a new cron key through provision::context: a change (stderr: %s)", changed.err())
        .isEqualTo(2);
    assertThat(value(show("@example.com"), "cron_key")).as("the new key is stored").isEqualTo(NEW_CRON_KEY);
    assertThat(Files.readString(argvLog)).as("verify ran after the save")
        .contains("argv: [--home] [" + home + "] [verify] [@example.com] [--json]");
    try (Stream<Path> left = Files.list(propertiesDir)) {
      assertThat(left.toList()).as("the properties file an earlier version kept (a secret in it) is removed").isEmpty();
    }
    Exit unchanged = puppetApply(puppet, "present", wrapped);
    assertThat(unchanged.status()).as("again: no changes, the platform given as Platform_D10 matches @platform_d10"
        + " (stdout: %s)", unchanged.out()).isZero();
    assertNoSecretOnACommandLine("[--properties-from=-]");

    String output = first.out() + first.err() + second.out() + second.err() + changed.out() + changed.err();
    assertThat(output).as("Puppet's output never shows a secret").doesNotContain(CRON_KEY).doesNotContain(NEW_CRON_KEY);
    assertThat(changed.out()).as("the change to a Sensitive property is redacted")
        .contains("Provision_context[example.com]/properties: changed [redacted] to [redacted]");
    assertThat(tree(tmp.resolve("puppet")).toString()).as("nor do its reports and state files")
        .doesNotContain(CRON_KEY).doesNotContain(NEW_CRON_KEY);

    Exit absent = puppetApply(puppet, "absent", module.resolve("examples/contexts.pp"));
    assertThat(absent.status()).as("ensure=absent applies (stderr: %s)", absent.err()).isEqualTo(2);
    assertRemoved();

    Path failing = Files.writeString(tmp.resolve("failing.pp"), String.join("\n",
        "provision_context { 'platform_x':",
        "  context_type => 'platform',",
        "  provision    => '" + wrapper + "',",
        "  home         => '" + home + "',",
        "  properties   => { 'root' => '" + tmp.resolve("missing") + "' },",
        "}",
        ""));
    Exit failed = puppetApply(puppet, "present", failing);
    assertThat(failed.status()).as("a failed verify fails the apply (4 or 6 with --detailed-exitcodes)")
        .isIn(4, 6);
    assertThat(failed.err()).as("with the CLI's message").contains("verify @platform_x: failed");
    assertRemoved();
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
  private JsonNode ansible(Path ansiblePlaybook, Path playbook, String... extra)
      throws IOException, InterruptedException {
    List<String> arguments = new ArrayList<>(List.of(playbook.toString()));
    arguments.addAll(List.of(extra));
    return ansiblePlaybook(ansiblePlaybook, arguments);
  }

  private JsonNode ansiblePlaybook(Path ansiblePlaybook, List<String> arguments)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(ansiblePlaybook.toString(), "-i", "localhost,"));
    command.addAll(arguments);
    Exit exit = run(command, ansibleEnv());
    assertThat(exit.status()).as("ansible-playbook %s exits with 0 (stdout: %s, stderr: %s)", arguments,
        exit.out(), exit.err()).isZero();
    return Cli.MAPPER.readTree(exit.out());
  }

  /** The environment of Ansible's commands: the example's ansible.cfg, JSON output, files under tmp. */
  private Map<String, String> ansibleEnv() {
    Map<String, String> env = new HashMap<>();
    env.put("ANSIBLE_HOME", tmp.resolve("ansible").toString());
    env.put("ANSIBLE_LOCAL_TEMP", tmp.resolve("ansible/tmp").toString());
    env.put("ANSIBLE_REMOTE_TEMP", tmp.resolve("ansible/remote-tmp").toString());
    // Its collections_path (relative to the file) puts aegirj.provision where Ansible finds it.
    env.put("ANSIBLE_CONFIG", ANSIBLE.resolve("ansible.cfg").toString());
    env.put("ANSIBLE_STDOUT_CALLBACK", "json");
    env.put("ANSIBLE_PYTHON_INTERPRETER", "auto_silent");
    env.put("ANSIBLE_RETRY_FILES_ENABLED", "false");
    env.put("ANSIBLE_NOCOLOR", "1");
    env.put("LC_ALL", "C.UTF-8"); // ansible-core refuses to run under a locale that is not UTF-8
    return env;
  }

  private static int stats(JsonNode run, String field) {
    return run.get("stats").get("localhost").get(field).asInt();
  }

  /** The result of the playbook's task number {@code index} on localhost. */
  private static JsonNode taskResult(JsonNode run, int index) {
    return run.get("plays").get(0).get("tasks").get(index).get("hosts").get("localhost");
  }

  private Exit puppetApply(Path puppet, String ensure, Path manifest) throws IOException, InterruptedException {
    Path dir = tmp.resolve("puppet");
    List<String> command = List.of(puppet.toString(), "apply", "--detailed-exitcodes", "--color=false",
        "--confdir", dir.resolve("conf").toString(), "--vardir", dir.resolve("var").toString(),
        "--codedir", dir.resolve("code").toString(), "--logdir", dir.resolve("log").toString(),
        "--rundir", dir.resolve("run").toString(),
        "--modulepath", PUPPET.toString(), manifest.toString());
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

  /** Copies the files under {@code from} to {@code to} (created), skipping what ansible-test left there. */
  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path f : walk.toList()) {
        Path relative = from.relativize(f);
        if (relative.startsWith(Path.of("tests/output"))) {
          continue;
        }
        Path target = to.resolve(relative.toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target);
        }
      }
    }
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
