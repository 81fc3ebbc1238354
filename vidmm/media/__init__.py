"""Media access: probe, frame sampling (PyAV with an OpenCV fallback), audio, shots."""
