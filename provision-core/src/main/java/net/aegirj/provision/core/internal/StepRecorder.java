package net.aegirj.provision.core.internal;

import java.util.ArrayList;
import java.util.List;

/** Collects what the running step changed and ran. */
final class StepRecorder {
  final int index;
  final List<String> changes = new ArrayList<>();
  final List<String> commands = new ArrayList<>();
  String skipReason;
  /**
   * Runs before the step's first change reaches a host (a reload debt recorded then, so that a
   * step that changes nothing writes nothing); once.
   */
  private Runnable beforeChange;

  StepRecorder(int index) {
    this.index = index;
  }

  StepRecorder(int index, Runnable beforeChange) {
    this.index = index;
    this.beforeChange = beforeChange;
  }

  /** Called by a journaling host just before it changes something; runs the hook once. */
  void beforeChange() {
    Runnable hook;
    synchronized (this) {
      hook = beforeChange;
      beforeChange = null;
    }
    if (hook != null) {
      hook.run();
    }
  }

  synchronized void change(String what) {
    changes.add(what);
  }

  synchronized void command(String what) {
    commands.add(what);
  }
}
