package dev.gort.gc;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** JFR event spanning one stop-the-world pause of the gort collector (begin at stop, commit at start). */
@Name("dev.gort.GcPause")
@Label("gort GC Pause")
@Category({"gort", "GC"})
@Description("A stop-the-world pause: sweep termination or mark termination")
public final class GcPauseEvent extends Event {
    @Label("GC Number") public long gcNumber;
    @Label("Phase") public String phase;
}
