-- R1, the reference transition system (fault vs. reclaim on a shared engine), in Murphi (Rumur).
-- The same system as model/r1.ts and bench/r1.pml: all three must reach the same number of states.
--
-- Murphi has no command-line constants: the benchmark copies this file with the five constant
-- lines below rewritten (each is `NAME: value;` on its own line). G >= 1 and K >= 1 (the index
-- types are 0..G-1 and 0..K-1).
--
-- Encoding rules, so that Rumur's state count equals R1's:
--  - subrange index types, not scalarsets, so Rumur's symmetry reduction has nothing to merge;
--  - one startstate (the initial state), one rule per action instance (rulesets over the indices);
--  - the derived quantities (usedC, compC, ...) are functions of the state, not state variables;
--  - deadlock: Rumur runs with --deadlock-detection stuck (a state with no enabled rule is an
--    error). R1's terminal states have nothing enabled either but are not deadlocks, so the
--    rule "terminal" is enabled exactly in them and changes nothing (a self-loop: no new state).
--    With the default (stuttering) detection that self-loop would itself count as a deadlock.
--  - page conservation is an invariant, checked in every state.

const
  NAIVE: 0;
  RESERVE: 1;
  PREEMPT: 2;
  SKIP: 3;

  C: 3;
  G: 3;
  K: 3;
  M: 1;
  POLICY: PREEMPT;  -- NAIVE, RESERVE, PREEMPT or SKIP

type
  gid: 0..G-1;
  kid: 0..K-1;
  gstate: enum { GQ, GR, GD };
  bostate: enum { RES, EVI };
  kstate: enum { KQ, RUN, FLT, WAIT, OK, DONE, FAIL };

var
  free: 0..M+G;
  gst: array [gid] of gstate;
  bo: array [gid] of bostate;
  kst: array [kid] of kstate;
  cu: array [kid] of 0..1;
  wt: array [kid] of -1..G-1;   -- -1 unless kst[k] = WAIT

-- #{k : cu[k] = 1}
function compC(): 0..K;
var n: 0..K;
begin
  n := 0;
  for k: kid do n := n + cu[k]; end;
  return n;
end;

-- #{g : gst[g] = R} + #{k : cu[k] = 1}
function usedC(): 0..G+K;
var n: 0..G+K;
begin
  n := compC();
  for g: gid do if gst[g] = GR then n := n + 1; end; end;
  return n;
end;

-- comp_start / comp_resume: a CU is free and, under reserve, one stays for graphics.
function mayTakeCU(): boolean;
begin
  return usedC() < C & (POLICY != RESERVE | compC() < C - 1);
end;

function evictable(): boolean;
begin
  return exists g: gid do bo[g] = RES & gst[g] = GD endexists;
end;

function anyResident(): boolean;
begin
  return exists g: gid do bo[g] = RES endexists;
end;

-- #{k : kst[k] = OK}
function okJobs(): 0..K;
var n: 0..K;
begin
  n := 0;
  for k: kid do if kst[k] = OK then n := n + 1; end; end;
  return n;
end;

-- #{g : bo[g] = RES}
function residentBOs(): 0..G;
var n: 0..G;
begin
  n := 0;
  for g: gid do if bo[g] = RES then n := n + 1; end; end;
  return n;
end;

function terminal(): boolean;
begin
  return (forall g: gid do gst[g] = GD endforall)
       & (forall k: kid do kst[k] = DONE | kst[k] = FAIL endforall);
end;

startstate "init"
begin
  free := M;
  for g: gid do gst[g] := GQ; bo[g] := RES; end;
  for k: kid do kst[k] := KQ; cu[k] := 0; wt[k] := -1; end;
end;

ruleset g: gid do
  rule "gfx_start"
    gst[g] = GQ & usedC() < C
  ==>
  begin
    gst[g] := GR;
  end;

  ruleset k: kid do
    rule "gfx_preempt"
      POLICY = PREEMPT & gst[g] = GQ & usedC() = C & cu[k] = 1
    ==>
    begin
      cu[k] := 0;
      gst[g] := GR;
    end;
  end;

  rule "gfx_end"
    gst[g] = GR
  ==>
  begin
    gst[g] := GD;
  end;
end;

ruleset k: kid do
  rule "comp_start"
    kst[k] = KQ & mayTakeCU()
  ==>
  begin
    kst[k] := RUN;
    cu[k] := 1;
  end;

  rule "comp_resume"
    (kst[k] = RUN | kst[k] = FLT | kst[k] = WAIT | kst[k] = OK) & cu[k] = 0 & mayTakeCU()
  ==>
  begin
    cu[k] := 1;
  end;

  rule "comp_fault"
    kst[k] = RUN & cu[k] = 1
  ==>
  begin
    kst[k] := FLT;
  end;

  rule "fault_alloc"
    kst[k] = FLT & free > 0
  ==>
  begin
    free := free - 1;
    kst[k] := OK;
  end;

  ruleset g: gid do
    rule "fault_evict"
      kst[k] = FLT & free = 0 & gst[g] = GD & bo[g] = RES
    ==>
    begin
      bo[g] := EVI;
      free := free + 1;
    end;

    rule "fault_wait"
      POLICY != SKIP & kst[k] = FLT & free = 0 & gst[g] != GD & bo[g] = RES
    ==>
    begin
      kst[k] := WAIT;
      wt[k] := g;
    end;
  end;

  rule "fault_fail"
    kst[k] = FLT & free = 0 & !evictable() & (POLICY = SKIP | !anyResident())
  ==>
  begin
    kst[k] := FAIL;
    cu[k] := 0;
  end;

  rule "wait_wake"
    kst[k] = WAIT & gst[wt[k]] = GD
  ==>
  begin
    if bo[wt[k]] = RES then
      bo[wt[k]] := EVI;
      free := free + 1;
    end;
    kst[k] := FLT;
    wt[k] := -1;
  end;

  rule "comp_end"
    kst[k] = OK & cu[k] = 1
  ==>
  begin
    kst[k] := DONE;
    cu[k] := 0;
    free := free + 1;
  end;
end;

-- Enabled exactly in R1's terminal states; see the header.
rule "terminal"
  terminal()
==>
begin
end;

invariant "page conservation"
  free + okJobs() + residentBOs() = M + G;
