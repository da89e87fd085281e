-- R1, the reference transition system (fault vs. reclaim on a shared engine), in Murphi (Rumur),
-- with the job indices as scalarsets so that Rumur's symmetry reduction applies. The same system
-- as bench/r1.m (and model/r1.ts); the only differences are the index types and the encoding of
-- wt. With --symmetry-reduction off it must reach exactly R1's state count; with exhaustive symmetry
-- reduction, one state per orbit of the group that permutes graphics jobs and (independently)
-- compute jobs, which is what `fencecheck check r1 --symmetry` counts too.
--
-- The benchmark rewrites the five constant lines below per rung, as for bench/r1.m. G >= 1 and
-- K >= 1.
--
-- Encoding, beyond bench/r1.m's rules (see its header):
--  - gid is scalarset(G) and kid is scalarset(K): graphics jobs are interchangeable, and so are
--    compute jobs. Nothing in the model names a particular job (no constants of these types, no
--    arithmetic or ordering on them), so the symmetry is sound.
--  - wt[k] ("the graphics job whose fence k waits on", -1 in R1 when k is not waiting) is a gid
--    that is *undefined* (`undefine wt[k]`) when k is not waiting. Undefined is stored as its own
--    value, which every permutation leaves alone, so it plays the part of -1 without naming a job.
--    The alternatives are worse: a record {valid: boolean; g: gid} still needs some g when valid
--    is false, and a stale or arbitrary g makes states that R1 considers equal differ in that
--    field (the unreduced count would exceed R1's; there is no scalarset constant to reset it
--    to); a range -1..G-1 can neither be compared with a gid nor index a gid-indexed array.
--    wt[k] is read only after kst[k] = WAIT has held (Rumur compiles `&` to C's short-circuit
--    `&&`), and then it is defined; reading an undefined value would stop Rumur with an error.

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
  gid: scalarset(G);
  kid: scalarset(K);
  gstate: enum { GQ, GR, GD };
  bostate: enum { RES, EVI };
  kstate: enum { KQ, RUN, FLT, WAIT, OK, DONE, FAIL };

var
  free: 0..M+G;
  gst: array [gid] of gstate;
  bo: array [gid] of bostate;
  kst: array [kid] of kstate;
  cu: array [kid] of 0..1;
  wt: array [kid] of gid;   -- undefined unless kst[k] = WAIT (R1's -1)

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
  for k: kid do kst[k] := KQ; cu[k] := 0; undefine wt[k]; end;
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
    undefine wt[k];
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
