package net.aegirj.provision.core.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * What a task changed, step by step, and how to undo it. Undo runs in reverse order; actions
 * registered with {@link #afterRollback(int, String, Runnable)} run once all undos are done (for
 * example a re-push of a tree whose local files were just restored).
 */
public final class Journal {
  /** One change and its undo. */
  record Entry(int step, String what, Runnable undo) {}

  private final List<Entry> entries = new ArrayList<>();
  private final List<Entry> after = new ArrayList<>();
  private final List<String> unrestorable = new ArrayList<>();
  private final List<Entry> commit = new ArrayList<>();

  synchronized void add(int step, String what, Runnable undo) {
    entries.add(new Entry(step, what, undo));
  }

  synchronized void afterRollback(int step, String what, Runnable action) {
    after.add(new Entry(step, what, action));
  }

  /** An action for when the task has succeeded (removing what was set aside for a rollback). */
  synchronized void onCommit(int step, String what, Runnable action) {
    commit.add(new Entry(step, what, action));
  }

  /**
   * Runs the actions for a task that succeeded.
   *
   * @return the failures (the task stays successful; they are warnings)
   */
  synchronized List<String> commit() {
    List<String> failures = new ArrayList<>();
    for (Entry e : commit) {
      try {
        e.undo().run();
      } catch (RuntimeException ex) {
        failures.add("'" + e.what() + "' failed: " + ex.getMessage());
      }
    }
    commit.clear();
    return failures;
  }

  synchronized void unrestorable(String what) {
    unrestorable.add(what);
  }

  /**
   * Undoes everything, last first.
   *
   * @return the failures of undo actions (empty when the rollback was complete)
   */
  synchronized List<String> rollback() {
    List<String> failures = new ArrayList<>(unrestorable);
    for (int i = entries.size() - 1; i >= 0; i--) {
      Entry e = entries.get(i);
      try {
        e.undo().run();
      } catch (RuntimeException ex) {
        failures.add("undo of '" + e.what() + "' failed: " + ex.getMessage());
      }
    }
    for (Entry e : after) {
      try {
        e.undo().run();
      } catch (RuntimeException ex) {
        failures.add("'" + e.what() + "' failed: " + ex.getMessage());
      }
    }
    return failures;
  }

  synchronized int size() {
    return entries.size();
  }

  synchronized boolean touched(int step) {
    return entries.stream().anyMatch(e -> e.step() == step);
  }
}
