package net.aegirj.provision.core.internal;

import java.util.ArrayList;
import java.util.List;

/** Collects what the running step changed and ran. */
final class StepRecorder {
  final int index;
  final List<String> changes = new ArrayList<>();
  final List<String> commands = new ArrayList<>();
  String skipReason;

  StepRecorder(int index) {
    this.index = index;
  }

  synchronized void change(String what) {
    changes.add(what);
  }

  synchronized void command(String what) {
    commands.add(what);
  }
}
