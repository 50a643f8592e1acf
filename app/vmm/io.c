/*
 * vmm: the port and MMIO map, and the small fixed devices on it: ACPI PM
 * registers and timer, the reset ports, the debug exit port and CMOS.
 * SPDX-License-Identifier: MIT
 *
 * The in-kernel PICs, PIT, IOAPIC and LAPICs never reach us. An access to
 * nothing reads as all ones and a write is dropped, as on a PC bus. The
 * first UNKNOWN_LOG_MAX distinct such accesses are logged, repeats folded
 * into a count, so that a misbehaving guest is visible but cannot flood
 * the log. Called with vm->lock held.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vmm.h"

#define UNKNOWN_LOG_MAX	32
#define PM1_SCI_EN	0x0001
#define PM1_SLP_EN	0x2000
#define PM_TIMER_HZ	3579545ull
#define SLP_TYP_S5	5

/* Say how often the last logged access was repeated, if it was. */
void
io_unknown_flush(struct vm *vm)
{
	if (vm->unknown_repeats == 0)
		return;
	vm_log(vm, "Warning: guest: ... %u more time%s", vm->unknown_repeats,
	    vm->unknown_repeats == 1 ? "" : "s");
	vm->unknown_repeats = 0;
}

/*
 * Log a misdeed of the guest. A run of identical ones (a string
 * instruction, a loop) becomes one line and a count.
 */
void
io_unknown(struct vm *vm, const char *fmt, ...)
{
	char msg[sizeof(vm->unknown_last)];
	va_list ap;

	/* Past the limit even repeats stay silent: they have no line. */
	if (vm->unknown_logged > UNKNOWN_LOG_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(msg, vm->unknown_last) == 0) {
		vm->unknown_repeats++;
		return;
	}
	io_unknown_flush(vm);
	memcpy(vm->unknown_last, msg, sizeof(msg));
	if (vm->unknown_logged++ == UNKNOWN_LOG_MAX) {
		vm_log(vm, "Warning: guest: further misdeeds are not logged");
		return;
	}
	vm_log(vm, "Warning: guest: %s", msg);
}

static uint64_t
get(const uint8_t *d, unsigned size)
{
	uint64_t v = 0;

	memcpy(&v, d, size);
	return v;
}

static void
set(uint8_t *d, unsigned size, uint64_t v)
{
	memcpy(d, &v, size);
}

static uint8_t
bcd(int v)
{
	return (uint8_t)((v / 10) << 4 | v % 10);
}

/* CMOS: the real-time clock in BCD, 24-hour mode, never updating. */
static uint8_t
cmos_read(struct vm *vm)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	switch (vm->cmos_index) {
	case 0x00: return bcd(tm.tm_sec);
	case 0x02: return bcd(tm.tm_min);
	case 0x04: return bcd(tm.tm_hour);
	case 0x06: return bcd(tm.tm_wday + 1);
	case 0x07: return bcd(tm.tm_mday);
	case 0x08: return bcd(tm.tm_mon + 1);
	case 0x09: return bcd(tm.tm_year % 100);
	case 0x32: return bcd(19 + tm.tm_year / 100);
	case 0x0a: return 0x26;		/* divider, no update in progress */
	case 0x0b: return 0x02;		/* 24-hour, BCD */
	case 0x0d: return 0x80;		/* battery good */
	default: return cmos_ram(vm, vm->cmos_index);
	}
}

static uint32_t
pm_timer(void)
{
	struct timespec ts;
	uint64_t us;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	us = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	return (uint32_t)(us * PM_TIMER_HZ / 1000000);
}

static void
pm_control(struct vm *vm, uint16_t v)
{
	unsigned typ = (v >> 10) & 7;

	vm->pm1_cnt = v & ~PM1_SLP_EN;
	if (!(v & PM1_SLP_EN))
		return;
	if (typ == SLP_TYP_S5)
		vm_stop(vm, VMM_EXIT_OFF, "guest powered off");
	else
		io_unknown(vm, "sleep type %u requested (only S5, power-off, "
		    "exists)", typ);
}

/* The ACPI PM1a event and control blocks and the PM timer. */
static void
pm_io(struct vm *vm, uint16_t port, unsigned size, bool write, uint8_t *d)
{
	unsigned off = port - PORT_PM_BASE;
	uint64_t v = write ? get(d, size) : 0;

	if (off + size > 12) {
		io_unknown(vm, "%u-byte access across the PM registers at "
		    "port 0x%x", size, port);
		if (!write)
			memset(d, 0xff, size);
		return;
	}
	if (off < 2) {
		if (write)
			vm->pm1_sts &= ~(uint32_t)v;	/* write 1 to clear */
		else
			set(d, size, vm->pm1_sts >> (8 * off));
	} else if (off < 4) {
		if (write)
			vm->pm1_en = (uint32_t)v;
		else
			set(d, size, vm->pm1_en >> (8 * (off - 2)));
	} else if (off < 6 && off + size <= 6) {
		if (write && off == 4 && size == 2)
			pm_control(vm, (uint16_t)v);
		else if (!write)
			set(d, size, (uint32_t)(vm->pm1_cnt | PM1_SCI_EN) >>
			    (8 * (off - 4)));
	} else if (off >= 8 && !write) {
		set(d, size, pm_timer() >> (8 * (off - 8)));
	} else if (!write) {
		memset(d, 0xff, size);
	}
}

void
io_port(struct vm *vm, struct vcpu *v, uint16_t port, unsigned size,
    bool write, uint8_t *d)
{
	uint64_t val = write ? get(d, size) : 0;

	if (port >= PORT_COM1 && port < PORT_COM1 + 8 && size == 1) {
		serial_io(vm, port, write, d);
	} else if (port == PORT_DEBUG_EXIT) {
		if (write)
			vm_stop(vm, (int)(val & 0xff), "guest exit code %llu "
			    "(debug exit port, vcpu %u)",
			    (unsigned long long)val, v->id);
		else
			set(d, size, 0);
	} else if (port >= PORT_PM_BASE && port < PORT_PM_BASE + 12) {
		pm_io(vm, port, size, write, d);
	} else if (port == PORT_RESET && size == 1) {
		if (write && (val & 0x04))
			vm_stop(vm, VMM_EXIT_OFF, "guest reset (port 0xcf9)");
		else if (!write)
			*d = 0;
	} else if (port == 0x64 && size == 1) {
		if (write && val == 0xfe)
			vm_stop(vm, VMM_EXIT_OFF, "guest reset (keyboard "
			    "controller)");
		else if (!write)
			*d = 0;		/* no 8042: nothing ever buffered */
	} else if (port == 0x60 && size == 1) {
		if (!write)
			*d = 0;
	} else if (port == 0x92 && size == 1) {
		if (write && (val & 0x01))
			vm_stop(vm, VMM_EXIT_OFF, "guest reset (port 0x92)");
		else if (!write)
			*d = 0x02;	/* A20 on */
	} else if ((port == 0x70 || port == 0x71) && size == 1) {
		if (port == 0x70 && write)
			vm->cmos_index = (uint8_t)(val & 0x7f);
		else if (port == 0x71 && !write)
			*d = cmos_read(vm);
		else if (!write)
			*d = 0xff;
	} else if (((port >= PORT_FW_CFG && port < PORT_FW_CFG + 12) ||
	    port == PORT_DEBUGCON) && vm->bios != NULL) {
		bios_io(vm, port, size, write, d);
	} else if (port >= 0xcf8 && port < 0xd00) {
		pci_config_io(vm, port, size, write, d);
	} else if (port == 0x80 || port == 0xed) {
		if (!write)		/* POST codes and I/O delays */
			memset(d, 0xff, size);
	} else {
		io_unknown(vm, "%s %u byte%s %s unknown port 0x%x (vcpu %u)",
		    write ? "wrote" : "read", size, size == 1 ? "" : "s",
		    write ? "to" : "from", port, v->id);
		if (!write)
			memset(d, 0xff, size);
	}
}

void
io_mmio(struct vm *vm, struct vcpu *v, uint64_t gpa, unsigned size,
    bool write, uint8_t *d)
{
	if (disks_mmio(vm, gpa, size, write, d))
		return;
	if (write && gpa >= vm->rom_gpa && gpa - vm->rom_gpa < vm->rom_size) {
		io_unknown(vm, "wrote %u bytes to ROM at 0x%llx (vcpu %u)",
		    size, (unsigned long long)gpa, v->id);
		return;
	}
	io_unknown(vm, "%s %u bytes %s unmapped address 0x%llx (vcpu %u)",
	    write ? "wrote" : "read", size, write ? "to" : "from",
	    (unsigned long long)gpa, v->id);
	if (!write)
		memset(d, 0xff, size);
}
