"""Modbus RTU relay / IO modules over RS-485 (client through pymodbus, byte-exact emulator)."""
