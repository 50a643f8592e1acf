/*
 * smp: finds the vCPUs in the MADT, starts each application processor
 * with INIT and two SIPIs, lets each report in, then powers off by ACPI.
 * SPDX-License-Identifier: MIT
 */
#include "guest.h"

#define ICR_INIT	0x4500u		/* INIT, level assert */
#define ICR_SIPI	0x4600u		/* start-up, level assert */
#define ICR_BUSY	(1u << 12)

static volatile int lock;
static volatile unsigned reported;

void
ap_main(unsigned index)
{
	spin_lock(&lock);
	print("smp: vCPU %u reporting in\n", lapic_id());
	reported++;
	spin_unlock(&lock);
}

static void
ipi(unsigned apic_id, uint32_t icr)
{
	unsigned i;

	lapic_write(LAPIC_ICR_HI, apic_id << 24);
	lapic_write(LAPIC_ICR_LO, icr);
	for (i = 0; i < 1000000 && (lapic_read(LAPIC_ICR_LO) & ICR_BUSY); i++)
		cpu_relax();
}

int
main(void)
{
	const struct acpi_sdt *madt = acpi_find("APIC");
	unsigned ids[GUEST_MAX_CPUS], n = 0, i, self = lapic_id(), waited;
	const uint8_t *p, *end;

	if (madt == NULL) {
		print("smp: no MADT\n");
		return 1;
	}
	end = (const uint8_t *)madt + madt->len;
	for (p = (const uint8_t *)madt + 44; p + 2 <= end && p[1] >= 2;
	    p += p[1])
		if (p[0] == 0 && p[1] == 8 && (p[4] & 1) &&
		    n < GUEST_MAX_CPUS)
			ids[n++] = p[3];
	print("smp: %u vCPUs in the MADT, this is vCPU %u\n", n, self);
	memcpy((void *)(uintptr_t)AP_TRAMPOLINE, ap16_start,
	    (size_t)(ap16_end - ap16_start));
	lapic_write(LAPIC_SVR, 0x1ff);
	for (i = 0; i < n; i++) {
		if (ids[i] == self)
			continue;
		ipi(ids[i], ICR_INIT);
		pit_delay_us(10000);
		ipi(ids[i], ICR_SIPI | AP_TRAMPOLINE >> 12);
		pit_delay_us(200);
		ipi(ids[i], ICR_SIPI | AP_TRAMPOLINE >> 12);
	}
	for (waited = 0; reported < n - 1 && waited < 5000; waited++)
		pit_delay_us(1000);
	spin_lock(&lock);
	if (reported != n - 1) {
		print("smp: only %u of %u application processors reported in\n",
		    reported, n - 1);
		return 2;
	}
	print("smp: all %u vCPUs up, powering off\n", n);
	spin_unlock(&lock);
	acpi_power_off();
}
