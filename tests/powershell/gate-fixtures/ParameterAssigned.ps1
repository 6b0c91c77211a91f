function Get-Thing {
    <#
    .SYNOPSIS
        A fixture for the gate: the local $name is the parameter $Name (PowerShell names ignore case).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Name)
    $name = $Name.Trim()
    return $name
}
