/*
 * vmm: an 8250/16550A UART at COM1 whose output goes to the LOG session,
 * one guest line per log line.
 * SPDX-License-Identifier: MIT
 *
 * Transmission is instant, so the transmitter is always empty (LSR THRE
 * and TEMT) and the THR-empty interrupt, when enabled, is pending again
 * right after each write; it is cleared by reading IIR or writing THR, as
 * on the 16550. There is no input: the receiver is always empty. MCR
 * loopback is emulated far enough for Linux's probe (autoconfig in
 * drivers/tty/serial/8250/8250_port.c). The interrupt reaches IRQ 4 only
 * with OUT2 set, as on a PC. Called with vm->lock held.
 */
#include <string.h>

#include "vmm.h"

enum {
	RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6,
	SCR = 7,
};

#define LCR_DLAB	0x80
#define MCR_LOOP	0x10
#define MCR_OUT2	0x08
#define IER_THRI	0x02
#define IIR_NONE	0x01
#define IIR_THRI	0x02
#define LSR_THRE	0x20
#define LSR_TEMT	0x40

static void
update_irq(struct vm *vm)
{
	struct serial *s = &vm->serial;
	bool level = (s->ier & IER_THRI) && s->thre_pending &&
	    (s->mcr & MCR_OUT2);

	if (level != s->irq_level) {
		s->irq_level = level;
		(void)kvm_irq_line(vm, IRQ_COM1, level);
	}
}

void
serial_flush(struct vm *vm)
{
	struct serial *s = &vm->serial;

	if (s->len == 0)
		return;
	io_unknown_flush(vm);	/* keep the log in the guest's order */
	vm_log(vm, "%.*s", (int)s->len, s->line);
	s->len = 0;
}

static void
put(struct vm *vm, uint8_t ch)
{
	struct serial *s = &vm->serial;

	if (ch == '\n') {
		serial_flush(vm);	/* an empty line makes no log line */
		return;
	}
	if (ch == '\r')
		return;
	s->line[s->len++] = (char)ch;
	if (s->len == sizeof(s->line))
		serial_flush(vm);
}

static uint8_t
msr(const struct serial *s)
{
	if (!(s->mcr & MCR_LOOP))
		return 0xb0;	/* DCD, DSR, CTS */
	return (uint8_t)((s->mcr & 0x02 ? 0x10 : 0) | (s->mcr & 0x01 ? 0x20 : 0) |
	    (s->mcr & 0x04 ? 0x40 : 0) | (s->mcr & 0x08 ? 0x80 : 0));
}

void
serial_io(struct vm *vm, uint16_t port, bool write, uint8_t *data)
{
	struct serial *s = &vm->serial;
	unsigned reg = port - PORT_COM1;
	bool dlab = s->lcr & LCR_DLAB;

	if (write) {
		uint8_t v = *data;

		switch (reg) {
		case RBR_THR:
			if (dlab) {
				s->dll = v;
				break;
			}
			if (!(s->mcr & MCR_LOOP))
				put(vm, v);
			s->thre_pending = true;
			break;
		case IER:
			if (dlab) {
				s->dlm = v;
				break;
			}
			if ((v & IER_THRI) && !(s->ier & IER_THRI))
				s->thre_pending = true;
			s->ier = v & 0x0f;
			break;
		case IIR_FCR:
			s->fcr = v & 0xc9;
			break;
		case LCR:
			s->lcr = v;
			break;
		case MCR:
			s->mcr = v & 0x1f;
			break;
		case SCR:
			s->scr = v;
			break;
		default:
			break;	/* LSR and MSR are read-only */
		}
		update_irq(vm);
		return;
	}
	switch (reg) {
	case RBR_THR:
		*data = dlab ? s->dll : 0;
		break;
	case IER:
		*data = dlab ? s->dlm : s->ier;
		break;
	case IIR_FCR:
		if ((s->ier & IER_THRI) && s->thre_pending) {
			*data = IIR_THRI;
			s->thre_pending = false;
		} else {
			*data = IIR_NONE;
		}
		if (s->fcr & 0x01)
			*data |= 0xc0;	/* FIFOs enabled: a 16550A */
		break;
	case LCR:
		*data = s->lcr;
		break;
	case MCR:
		*data = s->mcr;
		break;
	case LSR:
		*data = LSR_THRE | LSR_TEMT;
		break;
	case MSR:
		*data = msr(s);
		break;
	default:
		*data = s->scr;
		break;
	}
	update_irq(vm);
}
