// scnc's Verilator main for cocotb: cocotb 2.1's share/lib/verilator/verilator.cpp with the clock
// generated here, in C++, instead of by a cocotb Clock (a VPI timer callback and a value put per
// edge) or an HDL delay loop (Verilator --timing: a coroutine resume per edge). See
// scnc/verify/runner.py (VERILATOR_MAIN) and docs/verify.md ("The bulk trace path").
//
// Derived from cocotb's verilator.cpp:
//   Copyright cocotb contributors
//   Licensed under the Revised BSD License, see cocotb's LICENSE for details.
//   SPDX-License-Identifier: BSD-3-Clause
//
// Compile-time configuration (-CFLAGS -D...):
//   SCNC_CLOCK                  top-level input port toggled here (a member of Vtop), e.g. clk;
//                               undefined: no clock is generated (cocotb's own loop, unchanged)
//   SCNC_CLOCK_HALF_PERIOD_PS   half period in picoseconds (e.g. 5000 for a 10 ns clock)
// The clock starts high at time 0; it falls at one half period and rises at every whole period,
// the edges an HDL `always #5 clk = ~clk` starting from 1 and cocotb's Clock produce.
//
// What is kept from cocotb's loop, per time step and in its order: the model evaluation with VPI
// value-change callbacks settled after each evaluation, cbReadWriteSynch, cbReadOnlySynch,
// cbNextSimTime and the timed callbacks (cocotb's Timer and timeouts). What is left out are calls
// that cannot do anything: settling value-change callbacks when no callback ran and no value was
// put since the last settling, and calling a callback list that is empty (the queue of future
// callbacks is moved once per time step instead of once per list). The
// clock toggles after the timed callbacks of its time step and before the evaluation, so a
// value-change callback on the clock fires after the edge has been evaluated, as with the HDL clock.

#include <libgen.h>  // basename
#include <stdio.h>   // stderr, fprintf

#include <algorithm>  // std::min
#include <memory>     // std::unique_ptr
#include <string>     // std::string

#include "Vtop.h"
#include "verilated.h"
#include "verilated_vpi.h"

#ifndef VM_TRACE_FST
#define VM_TRACE_FST 0
#endif

#if VM_TRACE
#if VM_TRACE_FST
#include <verilated_fst_c.h>
using verilated_trace_t = VerilatedFstC;
#elif VM_TRACE_SAIF
#include <verilated_saif_c.h>
using verilated_trace_t = VerilatedSaifC;
#else
#include <verilated_vcd_c.h>
using verilated_trace_t = VerilatedVcdC;
#endif
static verilated_trace_t *tfp;
#endif

static vluint64_t main_time = 0;  // Current simulation time (time precision units)

double sc_time_stamp() {  // Called by $time in Verilog
    return main_time;
}

extern "C" {
void vlog_startup_routines_bootstrap(void);
}

static inline bool settle_value_callbacks() {
    bool cbs_called, again;
    // value-change callbacks can change signals: repeat until none fires
    cbs_called = again = VerilatedVpi::callValueCbs();
    while (again) {
        again = VerilatedVpi::callValueCbs();
    }
    return cbs_called;
}

static void wrap_up() {
    VerilatedVpi::callCbs(cbEndOfSimulation);
#if VM_TRACE
    if (tfp) {
        tfp->close();
    }
#endif
#if VM_COVERAGE
    VerilatedCov::write();
#endif
}

#ifdef SCNC_CLOCK
// Half period in time-precision units, from picoseconds and the model's time precision
// (10^timeprecision s, e.g. -12 for the 1ns/1ps scnc builds with). Exits when not representable.
static vluint64_t half_period_ticks() {
    const int prec = Verilated::threadContextp()->timeprecision();  // e.g. -12
    vluint64_t ticks = SCNC_CLOCK_HALF_PERIOD_PS;
    for (int p = -12; p > prec; --p) ticks *= 10;  // finer than ps: scale up
    for (int p = -12; p < prec; ++p) {             // coarser than ps: must divide evenly
        if (ticks % 10 != 0) {
            fprintf(stderr, "scnc verilator main: a %d ps half period is not a whole number of "
                            "time-precision units (10^%d s)\n", SCNC_CLOCK_HALF_PERIOD_PS, prec);
            exit(2);
        }
        ticks /= 10;
    }
    return ticks;
}
#endif

int main(int argc, char **argv) {
#if VM_TRACE_FST
    const char *traceFile = "dump.fst";
#elif VM_TRACE_SAIF
    const char *traceFile = "dump.saif";
#else
    const char *traceFile = "dump.vcd";
#endif
    bool traceOn = false;
    bool traceFlush = false;

    for (int i = 1; i < argc; i++) {
        std::string arg = std::string(argv[i]);
        if (arg == "--trace") {
#if VM_TRACE
            traceOn = true;
#else
            fprintf(stderr, "Error: --trace requires the design to be built with trace support\n");
            return -1;
#endif
        } else if (arg == "--trace-flush") {
            traceFlush = true;
        } else if (arg == "--trace-file") {
            if (++i < argc) {
                traceFile = argv[i];
            } else {
                fprintf(stderr, "Error: --trace-file requires a parameter\n");
                return -1;
            }
        } else if (arg == "--help") {
            fprintf(stderr, "usage: %s [--trace] [--trace-flush] [--trace-file TRACEFILE]\n",
                    basename(argv[0]));
            return 0;
        }
    }
    (void)traceFlush;
    (void)traceFile;

    Verilated::commandArgs(argc, argv);
    std::unique_ptr<Vtop> top(new Vtop(""));
    Verilated::fatalOnVpiError(false);  // otherwise it will fail on systemtf

#if VM_TRACE
    Verilated::traceEverOn(true);
    if (traceOn) {
        tfp = new verilated_trace_t;
        top->trace(tfp, 99);
        tfp->open(traceFile);
    }
#endif

    const vluint64_t NO_EVENTS_PENDING = static_cast<vluint64_t>(~0ULL);
#ifdef SCNC_CLOCK
    const vluint64_t half_period = half_period_ticks();
    vluint64_t next_clock = half_period;  // first edge: falling
    top->SCNC_CLOCK = 1;
#else
    const vluint64_t next_clock = NO_EVENTS_PENDING;
#endif

    vlog_startup_routines_bootstrap();
    Verilated::addExitCb([](void *) { wrap_up(); }, nullptr);
    VerilatedVpi::callCbs(cbStartOfSimulation);
    settle_value_callbacks();

    while (!Verilated::gotFinish()) {
        do {
            // evaluate the whole design until every event of this time step is processed
            do {
                top->eval_step();
                VerilatedVpi::clearEvalNeeded();
                VerilatedVpi::doInertialPuts();
                settle_value_callbacks();
            } while (VerilatedVpi::evalNeeded());

            // Values written by the callbacks settled above (inertial puts) are applied here.
            // Settling again can only find a change when a callback ran or a put was applied
            // (vpi_put_value sets evalNeeded).
            const bool rw_called =
                VerilatedVpi::hasCbs(cbReadWriteSynch) && VerilatedVpi::callCbs(cbReadWriteSynch);
            VerilatedVpi::doInertialPuts();
            if (rw_called || VerilatedVpi::evalNeeded()) {
                settle_value_callbacks();
            }
        } while (VerilatedVpi::evalNeeded());

        top->eval_end_step();

        if (VerilatedVpi::hasCbs(cbReadOnlySynch)) {
            VerilatedVpi::callCbs(cbReadOnlySynch);
        }

#if VM_TRACE
        if (tfp) {
            tfp->dump(main_time);
            if (traceFlush) {
                tfp->flush();
            }
        }
#endif
        // next time step: the earliest of cocotb's timers, the model's own delays and the clock
        vluint64_t next_time = std::min(VerilatedVpi::cbNextDeadline(), next_clock);
#ifdef VM_TIMING
#if VM_TIMING
        if (top->eventsPending()) next_time = std::min(next_time, top->nextTimeSlot());
#endif
#endif
        if (next_time == NO_EVENTS_PENDING) {
            break;
        }
        main_time = next_time;

        // callCbs first moves every callback due at main_time into its list (once per time
        // step: within a step nothing else becomes due, a callback registered for "now" goes
        // to its list directly), so the hasCbs tests in this step see exactly the callbacks
        // callCbs would run, without moving the queues again
        if (VerilatedVpi::callCbs(cbNextSimTime)) {
            settle_value_callbacks();
        }
        if (VerilatedVpi::hasCbs(cbAfterDelay)) {
            VerilatedVpi::callTimedCbs();
            settle_value_callbacks();
        }

#ifdef SCNC_CLOCK
        if (main_time == next_clock) {
            top->SCNC_CLOCK = !top->SCNC_CLOCK;
            next_clock += half_period;
        }
#endif
    }

    top->final();
    wrap_up();

#if VM_TRACE
    if (tfp) {
        delete tfp;
        tfp = nullptr;
    }
#endif

    if (Verilated::threadContextp()->errorCount() > 0) {
        return 1;
    }
    return 0;
}
