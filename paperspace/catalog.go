package paperspace

// Regions are the region names that the create endpoint accepts, as the
// Core API's create-machine page lists them.
var Regions = []string{"East Coast (NY2)", "West Coast (CA1)", "Europe (AMS1)"}

// MachineTypes are the machine types of the Core API's machine-type list,
// in the order the Paperspace console shows them.
var MachineTypes = []string{
	"Air", "Standard", "Pro", "Advanced",
	"GPU+", "P4000", "P5000", "P6000", "V100",
	"C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10",
}

// AvailabilityMachineTypes are the dedicated GPU types for which
// GET /machines/getAvailability reports availability; the Core API
// documents it for these types only.
var AvailabilityMachineTypes = []string{"GPU+", "P4000", "P5000", "P6000", "V100"}

// StorageSizesGB are the storage sizes offered, in GB. Paperspace volumes
// range from 50 GB to 2 TB.
var StorageSizesGB = []int{50, 100, 250, 500, 1000, 2000}

// BillingHourly is the only billing type the bot sends.
const BillingHourly = "hourly"

// HasAvailability reports whether the availability endpoint covers machineType.
func HasAvailability(machineType string) bool {
	for _, t := range AvailabilityMachineTypes {
		if t == machineType {
			return true
		}
	}
	return false
}
