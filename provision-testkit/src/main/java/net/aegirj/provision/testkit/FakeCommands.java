package net.aegirj.provision.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import net.aegirj.provision.api.HostCommandException;
import net.aegirj.provision.spi.Command;
import net.aegirj.provision.spi.CommandResult;

/**
 * The commands of a {@link FakeHost}: the stubs that answer them, the commands recorded, and what
 * happens to a command no stub matches. Not thread-safe: the fake guards it with its own lock.
 */
final class FakeCommands {
  /** Which commands a stub answers, and how. */
  private record Stub(Predicate<Command> when, Function<Command, CommandResult> answer) {}

  private final List<Command> commands = new ArrayList<>();
  private final List<Stub> stubs = new ArrayList<>();
  private boolean failUnknown;

  /** Adds a stub; the most recently added one that matches answers. */
  void stub(Predicate<Command> when, Function<Command, CommandResult> answer) {
    stubs.add(new Stub(when, answer));
  }

  /** Makes commands that no stub matches fail to start. */
  void failUnknown() {
    this.failUnknown = true;
  }

  /**
   * Records a command and finds its answer.
   *
   * @return the answer of the most recently added stub that matches, or null when none does
   */
  Function<Command, CommandResult> record(Command command) {
    Function<Command, CommandResult> answer = null;
    commands.add(command);
    for (int i = stubs.size() - 1; i >= 0 && answer == null; i--) {
      if (stubs.get(i).when().test(command)) {
        answer = stubs.get(i).answer();
      }
    }
    return answer;
  }

  /** @return whether a command no stub matches fails to start */
  boolean failsUnknown() {
    return failUnknown;
  }

  /** @return the failure of a command that no stub matches, on the host of that name */
  static HostCommandException unknown(String host, Command command) {
    return new HostCommandException(host, command.display(), -1, "",
        "could not start: the fake host has no stub for it");
  }

  /** @return every command recorded, in order */
  List<Command> recorded() {
    return List.copyOf(commands);
  }

  /** @return the {@link Command#display() display} of every command recorded, in order */
  List<String> lines() {
    return commands.stream().map(Command::display).toList();
  }

  /** Forgets the recorded commands; the stubs stay. */
  void clear() {
    commands.clear();
  }
}
