function Get-Thing {
    <#
    .SYNOPSIS
        A fixture for the gate.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Name)
    throw "$Name is wrong"
}
