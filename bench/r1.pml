/*
 * R1, the reference transition system (fault vs. reclaim on a shared engine), in Promela.
 * The same system as model/r1.ts and bench/r1.m: all three must reach the same number of states.
 *
 * Constants come from the preprocessor, e.g.
 *     spin -a -DC=3 -DG=4 -DK=4 -DM=1 -DPOLICY=PREEMPT r1.pml
 * (defaults below). 1 <= G <= 8 and 1 <= K <= 8: Promela arrays need at least one element, and
 * the branch families are unrolled by the preprocessor up to 8 instances each.
 *
 * Encoding rules, so that SPIN's state count equals R1's:
 *  - one process, one do-loop, every R1 action one branch whose whole body is a d_step: a d_step
 *    is a single transition with no intermediate states, and every branch returns to the loop
 *    head, so the process's pc is the same in every stored state and the state is just the
 *    variables;
 *  - the derived quantities (usedC, compC, ...) are macros over the variables, not variables;
 *  - branch families are unrolled with #if, not guarded by (i < G), so no dead branches are
 *    tried at run time;
 *  - deadlock: the last branch is d_step { timeout; assert(TERMINAL) }. timeout is executable
 *    only when no other branch is; in a terminal state the d_step is a self-loop (no new state),
 *    in any other stuck state the assertion fails. So no state is ever without a successor and
 *    SPIN's own end-state check never fires; the deadlock verdict is that assertion;
 *  - page conservation is asserted at the end of every action's d_step, i.e. on every state
 *    reached by a transition (the initial state satisfies it by construction).
 */

#define NAIVE   0
#define RESERVE 1
#define PREEMPT 2
#define SKIP    3

#ifndef C
#define C 3
#endif
#ifndef G
#define G 3
#endif
#ifndef K
#define K 3
#endif
#ifndef M
#define M 1
#endif
#ifndef POLICY
#define POLICY PREEMPT
#endif

#if C < 1 || G < 1 || G > 8 || K < 1 || K > 8 || M < 0
#error "r1.pml needs C >= 1, 1 <= G <= 8, 1 <= K <= 8, M >= 0"
#endif

/* gst values */
#define GQ 0
#define GR 1
#define GD 2
/* bo values */
#define RES 0
#define EVI 1
/* kst values */
#define KQ   0
#define RUN  1
#define FLT  2
#define WAIT 3
#define OK   4
#define DONE 5
#define FAIL 6

byte  free = M;
byte  gst[G];        /* all GQ  */
bit   bo[G];         /* all RES */
byte  kst[K];        /* all KQ  */
bit   cu[K];         /* all 0   */
short wt[K] = -1;    /* -1 unless kst[k] = WAIT */

/* FOR_G(m, x) expands to m(0, x) m(1, x) ... m(G-1, x); FOR_K likewise over the compute jobs.
 * A macro is not re-expanded inside its own expansion, so each nesting level has its own copy:
 * FOR_ for the branch families, IN_ for the (k, g) pairs inside them, SUM_ for the expressions. */
#if G == 1
#define FOR_G(m, x) m(0, x)
#define IN_G(m, x) m(0, x)
#define SUM_G(m, x) m(0, x)
#elif G == 2
#define FOR_G(m, x) m(0, x) m(1, x)
#define IN_G(m, x) m(0, x) m(1, x)
#define SUM_G(m, x) m(0, x) m(1, x)
#elif G == 3
#define FOR_G(m, x) m(0, x) m(1, x) m(2, x)
#define IN_G(m, x) m(0, x) m(1, x) m(2, x)
#define SUM_G(m, x) m(0, x) m(1, x) m(2, x)
#elif G == 4
#define FOR_G(m, x) m(0, x) m(1, x) m(2, x) m(3, x)
#define IN_G(m, x) m(0, x) m(1, x) m(2, x) m(3, x)
#define SUM_G(m, x) m(0, x) m(1, x) m(2, x) m(3, x)
#elif G == 5
#define FOR_G(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x)
#define IN_G(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x)
#define SUM_G(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x)
#elif G == 6
#define FOR_G(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x) m(5, x)
#define IN_G(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x) m(5, x)
#define SUM_G(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x) m(5, x)
#elif G == 7
#define FOR_G(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x) m(5, x) m(6, x)
#define IN_G(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x) m(5, x) m(6, x)
#define SUM_G(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x) m(5, x) m(6, x)
#else
#define FOR_G(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x) m(5, x) m(6, x) m(7, x)
#define IN_G(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x) m(5, x) m(6, x) m(7, x)
#define SUM_G(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x) m(5, x) m(6, x) m(7, x)
#endif
#if K == 1
#define FOR_K(m, x) m(0, x)
#define IN_K(m, x) m(0, x)
#define SUM_K(m, x) m(0, x)
#elif K == 2
#define FOR_K(m, x) m(0, x) m(1, x)
#define IN_K(m, x) m(0, x) m(1, x)
#define SUM_K(m, x) m(0, x) m(1, x)
#elif K == 3
#define FOR_K(m, x) m(0, x) m(1, x) m(2, x)
#define IN_K(m, x) m(0, x) m(1, x) m(2, x)
#define SUM_K(m, x) m(0, x) m(1, x) m(2, x)
#elif K == 4
#define FOR_K(m, x) m(0, x) m(1, x) m(2, x) m(3, x)
#define IN_K(m, x) m(0, x) m(1, x) m(2, x) m(3, x)
#define SUM_K(m, x) m(0, x) m(1, x) m(2, x) m(3, x)
#elif K == 5
#define FOR_K(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x)
#define IN_K(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x)
#define SUM_K(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x)
#elif K == 6
#define FOR_K(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x) m(5, x)
#define IN_K(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x) m(5, x)
#define SUM_K(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x) m(5, x)
#elif K == 7
#define FOR_K(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x) m(5, x) m(6, x)
#define IN_K(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x) m(5, x) m(6, x)
#define SUM_K(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x) m(5, x) m(6, x)
#else
#define FOR_K(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x) m(5, x) m(6, x) m(7, x)
#define IN_K(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x) m(5, x) m(6, x) m(7, x)
#define SUM_K(m, x) m(0, x) m(1, x) m(2, x) m(3, x) m(4, x) m(5, x) m(6, x) m(7, x)
#endif

/* Derived quantities. */
#define T_GRUN(g, x)  + (gst[g] == GR)
#define T_CU(k, x)    + cu[k]
#define compC         (0 SUM_K(T_CU, _))
#define usedC         (0 SUM_G(T_GRUN, _) SUM_K(T_CU, _))
#define T_EVICT(g, x) || (bo[g] == RES && gst[g] == GD)
#define evictable     (0 SUM_G(T_EVICT, _))
#define T_RESID(g, x) || (bo[g] == RES)
#define anyResident   (0 SUM_G(T_RESID, _))

/* comp_start / comp_resume: a CU is free and, under reserve, one stays for graphics. */
#if POLICY == RESERVE
#define MAY_TAKE_CU (usedC < C && compC < C - 1)
#else
#define MAY_TAKE_CU (usedC < C)
#endif

/* fault_fail's policy clause. */
#if POLICY == SKIP
#define FAIL_OK (!evictable)
#else
#define FAIL_OK (!evictable && !anyResident)
#endif

/* Page conservation: free + #{k: kst[k]=OK} + #{g: bo[g]=RES} = M + G. */
#define T_KOK(k, x)  + (kst[k] == OK)
#define T_GRES(g, x) + (bo[g] == RES)
#define CHECK        assert(free SUM_K(T_KOK, _) SUM_G(T_GRES, _) == M + G)

/* Terminal: every gfx job done and every compute job DONE or FAIL. */
#define T_GLIVE(g, x) || (gst[g] != GD)
#define T_KLIVE(k, x) || (kst[k] != DONE && kst[k] != FAIL)
#define TERMINAL      !(0 SUM_G(T_GLIVE, _) SUM_K(T_KLIVE, _))

/* The actions; each is one do-branch. */
#define GFX_START(g, x) \
  :: d_step { gst[g] == GQ && usedC < C -> gst[g] = GR; CHECK }
#define GFX_PREEMPT(k, g) \
  :: d_step { gst[g] == GQ && cu[k] == 1 && usedC == C -> cu[k] = 0; gst[g] = GR; CHECK }
#define GFX_PREEMPT_G(g, x) IN_K(GFX_PREEMPT, g)
#define GFX_END(g, x) \
  :: d_step { gst[g] == GR -> gst[g] = GD; CHECK }
#define COMP_START(k, x) \
  :: d_step { kst[k] == KQ && MAY_TAKE_CU -> kst[k] = RUN; cu[k] = 1; CHECK }
#define COMP_RESUME(k, x) \
  :: d_step { kst[k] >= RUN && kst[k] <= OK && cu[k] == 0 && MAY_TAKE_CU -> cu[k] = 1; CHECK }
#define COMP_FAULT(k, x) \
  :: d_step { kst[k] == RUN && cu[k] == 1 -> kst[k] = FLT; CHECK }
#define FAULT_ALLOC(k, x) \
  :: d_step { kst[k] == FLT && free > 0 -> free--; kst[k] = OK; CHECK }
#define FAULT_EVICT(g, k) \
  :: d_step { kst[k] == FLT && free == 0 && gst[g] == GD && bo[g] == RES -> bo[g] = EVI; free++; CHECK }
#define FAULT_EVICT_K(k, x) IN_G(FAULT_EVICT, k)
#define FAULT_WAIT(g, k) \
  :: d_step { kst[k] == FLT && free == 0 && gst[g] != GD && bo[g] == RES -> kst[k] = WAIT; wt[k] = g; CHECK }
#define FAULT_WAIT_K(k, x) IN_G(FAULT_WAIT, k)
#define FAULT_FAIL(k, x) \
  :: d_step { kst[k] == FLT && free == 0 && FAIL_OK -> kst[k] = FAIL; cu[k] = 0; CHECK }
#define WAIT_WAKE(k, x) \
  :: d_step { kst[k] == WAIT && gst[wt[k]] == GD -> \
                if \
                :: bo[wt[k]] == RES -> bo[wt[k]] = EVI; free++ \
                :: else -> skip \
                fi; \
                kst[k] = FLT; wt[k] = -1; CHECK }
#define COMP_END(k, x) \
  :: d_step { kst[k] == OK && cu[k] == 1 -> kst[k] = DONE; cu[k] = 0; free++; CHECK }

/* Each family sits on its own source line, so a trail replayed with spin -t -p names the action
 * by line (the harness uses this to check the deadlock trace). */
active proctype r1()
{
  do
  FOR_G(GFX_START, _)
#if POLICY == PREEMPT
  FOR_G(GFX_PREEMPT_G, _)
#endif
  FOR_G(GFX_END, _)
  FOR_K(COMP_START, _)
  FOR_K(COMP_RESUME, _)
  FOR_K(COMP_FAULT, _)
  FOR_K(FAULT_ALLOC, _)
  FOR_K(FAULT_EVICT_K, _)
#if POLICY != SKIP
  FOR_K(FAULT_WAIT_K, _)
#endif
  FOR_K(FAULT_FAIL, _)
  FOR_K(WAIT_WAKE, _)
  FOR_K(COMP_END, _)
  :: d_step { timeout; assert(TERMINAL) }
  od
}
