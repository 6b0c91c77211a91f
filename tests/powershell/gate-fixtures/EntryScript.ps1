<#
.SYNOPSIS
    A fixture for the gate: an entry script without strict mode, Stop or the module import.
.EXAMPLE
    .\EntryScript.ps1
#>
[CmdletBinding()]
param()
Write-Output -InputObject 'hello'
