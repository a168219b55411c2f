/** Not yet built: see the open issue for this module. */
package dev.gort.arena;
